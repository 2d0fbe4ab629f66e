// The scheduled-report form: only the day fields of the chosen frequency, and "Sending…" on
// a button while its form is sent.
(function () {
  const form = document.querySelector(".schedule-form");
  if (form) {
    const frequency = form.querySelector("#frequency");
    const follow = () => {
      form.querySelectorAll("[data-when]").forEach((field) => {
        field.hidden = field.dataset.when !== frequency.value;
      });
    };
    frequency.addEventListener("change", follow);
    follow();
  }
  document.querySelectorAll("button[data-busy]").forEach((button) => {
    button.form.addEventListener("submit", () => {
      button.textContent = button.dataset.busy;
      button.setAttribute("aria-busy", "true");
      button.disabled = true;
    });
  });
})();
