"""The REST API (PROTOCOL.md section 4), built on Django REST framework."""
