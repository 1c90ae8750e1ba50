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
  // Where a field was read: pointing at, focusing or tapping a field draws its box over
  // the original's page (percentages of the page, so it follows the zoom). Fields whose
  // place is unknown have no data-box and no highlight.
  function setUpMarks() {
    var pane = document.getElementById("original");
    var fields = document.querySelectorAll(".field[data-box]");
    if (!pane || !fields.length) { return; }
    var mark = document.createElement("div");
    mark.className = "box-mark";
    mark.setAttribute("aria-hidden", "true");
    var shown = null;
    function reveal(page) {
      // Scroll the original's own box (sticky at desk width, or the zoomed pages) so the
      // highlight is in view, never the whole window.
      var boxes = [page.parentElement, pane];
      boxes.forEach(function (box) {
        if (!box || box.scrollHeight <= box.clientHeight && box.scrollWidth <= box.clientWidth) { return; }
        var outer = box.getBoundingClientRect(), inner = mark.getBoundingClientRect();
        if (inner.top < outer.top || inner.bottom > outer.bottom) {
          box.scrollTop += inner.top - outer.top - box.clientHeight / 3;
        }
        if (inner.left < outer.left || inner.right > outer.right) {
          box.scrollLeft += inner.left - outer.left - box.clientWidth / 4;
        }
      });
    }
    function show(field) {
      var page = pane.querySelector('[data-page="' + field.getAttribute("data-box-page") + '"]');
      if (!page) { return; }
      var box = field.getAttribute("data-box").split(" ");
      mark.style.left = box[0] + "%";
      mark.style.top = box[1] + "%";
      mark.style.width = box[2] + "%";
      mark.style.height = box[3] + "%";
      page.appendChild(mark);
      if (shown) { shown.classList.remove("marked"); }
      shown = field;
      field.classList.add("marked");
      reveal(page);
    }
    fields.forEach(function (field) {
      field.addEventListener("mouseenter", function () { show(field); });
      field.addEventListener("focusin", function () { show(field); });
      field.addEventListener("click", function () { show(field); });
      var where = field.querySelector("button.where");
      if (where) {
        where.hidden = false;
        where.addEventListener("click", function () {
          show(field);
          mark.scrollIntoView({ block: "center", inline: "center" });
        });
      }
    });
  }
  function start() { setUp(); setUpMarks(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
}());
