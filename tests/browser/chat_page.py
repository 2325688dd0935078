"""What a person does on the chat page, in the words of the tests."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, expect

ENDED = ", ".join(
    f'.turn[data-status="{status}"]'
    for status in ("succeeded", "failed", "cancelled", "interrupted")
)


@dataclass
class ChatPage:
    page: Page
    base_url: str

    def open(self, session_id: str | None = None) -> ChatPage:
        query = f"?session={session_id}" if session_id else ""
        self.page.goto(f"{self.base_url}/{query}")
        expect(
            self.page.locator("#connection" if session_id else "#welcome")
        ).to_be_visible()
        return self

    def start_chat(self, agent: str) -> None:
        self.page.get_by_label("Agent").select_option(agent)

    def send(self, text: str) -> None:
        box = self.page.get_by_label("Message", exact=True)
        box.fill(text)
        box.press("Enter")

    def wait_for_runs_ended(self, count: int, timeout: float = 20_000) -> None:
        expect(self.page.locator(ENDED)).to_have_count(count, timeout=timeout)

    @property
    def session_id(self) -> str:
        return self.page.evaluate("new URLSearchParams(location.search).get('session')")

    def answers(self) -> list[str]:
        return self.page.locator(".bubble-agent[data-seq]").all_inner_texts()

    def transcript_text(self) -> str:
        return self.page.locator("#transcript").inner_text()

    def rendered_seqs(self) -> list[int]:
        return [
            int(seq)
            for seq in self.page.locator("#transcript [data-seq]").evaluate_all(
                "nodes => nodes.map(node => node.dataset.seq)"
            )
        ]

    def stored_seqs(self) -> list[int]:
        """The transcript's seqs as the REST API has them, with this page's cookie."""
        response = self.page.request.get(
            f"{self.base_url}/api/sessions/{self.session_id}/events/?limit=500"
        )
        assert response.ok
        return [event["seq"] for event in response.json()["results"]]
