// The original's zoom on a case page (the page works without it: each page opens full size).
(function () {
  "use strict";
  var STEPS = [1, 1.5, 2, 3, 4];
  function setUp() {
    var pane = document.getElementById("original");
    if (!pane) { return; }
    var label = pane.querySelector("[data-zoom-level]");
    var step = 0;
    function show() {
      pane.style.setProperty("--zoom", String(STEPS[step]));
      if (label) { label.textContent = Math.round(STEPS[step] * 100) + "%"; }
    }
    pane.querySelectorAll("button[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "in") { step = Math.min(step + 1, STEPS.length - 1); }
        else if (how === "out") { step = Math.max(step - 1, 0); }
        else { step = 0; }
        show();
      });
    });
    show();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); }
  else { setUp(); }
}());
