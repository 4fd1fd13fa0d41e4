// Waarborg's one script: an enhancement only. Every page works without it (the comparison
// view shows both faces side by side and its form posts as it is). It adds, in the
// comparison view, zoom and pan kept in step on both faces, an overlay (blend, wipe,
// flicker) and keys (← → other candidates, + − 0 zoom, l key points); in a candidate
// list, j/k or ↓/↑ move between persons.
(function () {
  "use strict";

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName));
  }

  // Zoom and pan, the same view on every face.
  var faces = Array.prototype.slice.call(document.querySelectorAll("svg.zoomable"));
  var stage = document.querySelector(".overlay-stage");
  var full = null;
  var view = null;
  var zoomables = faces.slice();

  function show() {
    var box = view.x + " " + view.y + " " + view.w + " " + view.h;
    zoomables.forEach(function (s) { s.setAttribute("viewBox", box); });
  }

  function zoom(factor, cx, cy) {
    var w = Math.min(full.w, Math.max(full.w / 16, view.w * factor));
    var h = w * full.h / full.w;
    if (cx === undefined) { cx = view.x + view.w / 2; cy = view.y + view.h / 2; }
    view.x = cx - (cx - view.x) * w / view.w;
    view.y = cy - (cy - view.y) * h / view.h;
    view.w = w;
    view.h = h;
    keep();
    show();
  }

  function keep() {
    view.x = Math.min(Math.max(view.x, 0), full.w - view.w);
    view.y = Math.min(Math.max(view.y, 0), full.h - view.h);
  }

  function reset() {
    view = { x: 0, y: 0, w: full.w, h: full.h };
    show();
  }

  function enableZoom(s) {
    var drag = null;
    s.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = s.getBoundingClientRect();
      var cx = view.x + (e.clientX - r.left) / r.width * view.w;
      var cy = view.y + (e.clientY - r.top) / r.height * view.h;
      zoom(e.deltaY < 0 ? 0.8 : 1.25, cx, cy);
    }, { passive: false });
    s.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY };
      s.setPointerCapture(e.pointerId);
    });
    s.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      var r = s.getBoundingClientRect();
      view.x -= (e.clientX - drag.x) / r.width * view.w;
      view.y -= (e.clientY - drag.y) / r.height * view.h;
      drag = { x: e.clientX, y: e.clientY };
      keep();
      show();
    });
    s.addEventListener("pointerup", function () { drag = null; });
  }

  if (faces.length === 2) {
    var vb = faces[0].viewBox.baseVal;
    full = { w: vb.width, h: vb.height };
    view = { x: 0, y: 0, w: full.w, h: full.h };
    var tools = document.querySelector(".zoom-tools");
    if (tools) {
      tools.hidden = false;
      tools.addEventListener("click", function (e) {
        var how = e.target && e.target.getAttribute("data-zoom");
        if (how === "in") { zoom(0.8); } else if (how === "out") { zoom(1.25); } else if (how === "reset") { reset(); }
      });
    }
  }

  // The overlay: the candidate over the probe face, blended, wiped or flickering.
  var overlay = document.querySelector("section.overlay");
  if (faces.length === 2 && stage && overlay) {
    var ns = "http://www.w3.org/2000/svg";
    var probe = faces[0].querySelector("image.face-image");
    var candidate = faces[1].querySelector("image.face-image");
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + full.w + " " + full.h);
    svg.setAttribute("class", "zoomable");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", overlay.querySelector("h2").textContent);
    var clip = document.createElementNS(ns, "clipPath");
    clip.setAttribute("id", "wipe");
    var wipe = document.createElementNS(ns, "rect");
    wipe.setAttribute("x", "0");
    wipe.setAttribute("y", "0");
    wipe.setAttribute("height", String(full.h));
    clip.appendChild(wipe);
    svg.appendChild(clip);
    svg.appendChild(probe.cloneNode(false));
    var top = candidate.cloneNode(false);
    svg.appendChild(top);
    stage.appendChild(svg);
    zoomables.push(svg);
    var amount = overlay.querySelector("#overlay-amount");
    var timer = null;
    var update = function () {
      var mode = overlay.querySelector("input[name=overlay-mode]:checked").value;
      var a = Number(amount.value) / 100;
      if (timer) { clearInterval(timer); timer = null; }
      top.removeAttribute("clip-path");
      top.style.visibility = "visible";
      top.style.opacity = "1";
      if (mode === "blend") {
        top.style.opacity = String(a);
      } else if (mode === "wipe") {
        wipe.setAttribute("width", String(a * full.w));
        top.setAttribute("clip-path", "url(#wipe)");
      } else {
        var period = 150 + (1 - a) * 850;
        timer = setInterval(function () {
          top.style.visibility = top.style.visibility === "hidden" ? "visible" : "hidden";
        }, period);
      }
    };
    overlay.addEventListener("input", update);
    overlay.addEventListener("change", update);
    overlay.hidden = false;
    update();
  }
  zoomables.forEach(enableZoom);

  // Marking a face the detector missed: with the form open, drag a box on the probe, then
  // click the eye on the image's left and the one on its right; the form's fields follow
  // (and can still be typed in). The probe's picture is drawn in its own pixels.
  var mark = document.getElementById("mark");
  var probeSvg = document.querySelector("figure.probe-faces svg");
  if (mark && probeSvg) {
    var ns2 = "http://www.w3.org/2000/svg";
    var drawn = document.createElementNS(ns2, "rect");
    drawn.setAttribute("class", "drawn-box");
    drawn.style.display = "none";
    probeSvg.appendChild(drawn);
    var eyes = [];
    var start = null;
    var set = function (id, v) {
      var input = document.getElementById(id);
      if (input) { input.value = String(Math.round(v)); }
    };
    var at = function (e) {
      var p = probeSvg.createSVGPoint();
      p.x = e.clientX;
      p.y = e.clientY;
      return p.matrixTransform(probeSvg.getScreenCTM().inverse());
    };
    var note = mark.querySelector(".mark-hint");
    if (note) { note.hidden = false; }
    probeSvg.addEventListener("pointerdown", function (e) {
      if (!mark.open) { return; }
      e.preventDefault();
      start = at(e);
      probeSvg.setPointerCapture(e.pointerId);
    });
    probeSvg.addEventListener("pointermove", function (e) {
      if (!mark.open || !start) { return; }
      var p = at(e);
      var x = Math.min(p.x, start.x);
      var y = Math.min(p.y, start.y);
      drawn.setAttribute("x", x);
      drawn.setAttribute("y", y);
      drawn.setAttribute("width", Math.abs(p.x - start.x));
      drawn.setAttribute("height", Math.abs(p.y - start.y));
      drawn.style.display = "";
    });
    probeSvg.addEventListener("pointerup", function (e) {
      if (!mark.open || !start) { return; }
      var p = at(e);
      var w = Math.abs(p.x - start.x);
      var h = Math.abs(p.y - start.y);
      if (w > 4 && h > 4) {
        set("mark-x", Math.min(p.x, start.x));
        set("mark-y", Math.min(p.y, start.y));
        set("mark-width", w);
        set("mark-height", h);
        eyes = [];
      } else {
        // A click: the next eye point, image-left first.
        var which = eyes.length % 2 === 0 ? "right-eye" : "left-eye";
        set(which + "-x", p.x);
        set(which + "-y", p.y);
        eyes.push(p);
      }
      start = null;
    });
    // While marking, a click on a found face's box does not pick it.
    probeSvg.addEventListener("click", function (e) {
      if (mark.open) { e.preventDefault(); }
    }, true);
  }

  // Keys.
  var people = Array.prototype.slice.call(document.querySelectorAll("ol.people > li.person"));
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var go = function (rel) {
      var a = document.querySelector("a[rel=" + rel + "]");
      if (a) { window.location.href = a.href; }
    };
    if (faces.length === 2) {
      if (e.key === "ArrowLeft") { go("prev"); } else if (e.key === "ArrowRight") { go("next"); } else if (e.key === "+" || e.key === "=") { zoom(0.8); } else if (e.key === "-") { zoom(1.25); } else if (e.key === "0") { reset(); } else if (e.key === "l") {
        var box = document.getElementById("show-landmarks");
        if (box) { box.checked = !box.checked; }
      } else { return; }
      e.preventDefault();
    } else if (people.length) {
      var at = people.indexOf(document.activeElement);
      if (e.key === "j" || e.key === "ArrowDown") { at = Math.min(people.length - 1, at + 1); } else if (e.key === "k" || e.key === "ArrowUp") { at = Math.max(0, at - 1); } else { return; }
      e.preventDefault();
      people[at].focus();
      people[at].scrollIntoView({ block: "nearest" });
    }
  });
})();
