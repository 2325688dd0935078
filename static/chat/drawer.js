// On a phone the sidebar is a drawer over the chat (on a wide screen it is
// always shown and the toggle is hidden). Opening it moves focus into it, onto
// the open chat's link or else "New chat", never the search box: focusing a text
// field would pop a phone's keyboard up over the list the person came to see.

export class Drawer {
  /**
   * @param {object} parts - the layout (gets `sidebar-open`), the toggle button,
   *   the scrim behind the drawer, the sidebar, and the button to focus when no
   *   chat is open
   */
  constructor({ layout, toggle, scrim, sidebar, fallback }) {
    Object.assign(this, { layout, toggle, scrim, sidebar, fallback });
    toggle.addEventListener("click", () => this.show(!this.isOpen));
    scrim.addEventListener("click", () => this.show(false));
    document.addEventListener("keydown", (event) => {
      // Escape in a dialog opened from the drawer closes the dialog only.
      if (event.key === "Escape" && this.isOpen && !document.querySelector("dialog[open]")) {
        this.show(false);
        toggle.focus();
      }
    });
  }

  get isOpen() {
    return this.layout.classList.contains("sidebar-open");
  }

  show(open) {
    this.layout.classList.toggle("sidebar-open", open);
    this.toggle.setAttribute("aria-expanded", String(open));
    this.scrim.hidden = !open;
    if (open) (this.sidebar.querySelector('[aria-current="page"]') ?? this.fallback).focus();
  }
}
