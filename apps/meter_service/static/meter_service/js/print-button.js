// The "Print" buttons (data-print): a script file, since the Content-Security-Policy runs
// no inline event handlers.
document.addEventListener("click", function (event) {
  "use strict";
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
