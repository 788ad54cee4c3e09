/* The service process drawn with bpmn-js (NavigatedViewer, served from vendor/bpmn-js/).

   Markup (templates/process/includes/diagram.html):
     <figure class="process-diagram" data-process-diagram data-source="ID"
             [data-focus="current" or "element ids"]>
       <div class="process-diagram__toolbar"> <button data-zoom="in|out|fit|full"> ... </div>
       <div class="process-diagram__canvas" dir="ltr"></div>
     </figure>
     <script type="application/json" id="ID">{"xml": "...", "completed": [...], "current": [...],
       "ended": ""}</script>

   The diagram is always laid out left to right (dir="ltr" on the canvas), whatever the page's
   direction; its names arrive translated from the server. Elements the claim passed get the
   `completed` marker, where it waits now `current`, the end it reached `ended`; the others
   `pending` when a claim is shown. Colours are in process-diagram.css. The chart opens
   fitted to its frame (on a phone, where that is a thumbnail, at its start; with
   data-focus="current", at the claim's current step); a click on a step zooms to it. */
(function () {
  "use strict";

  var ZOOM_STEP = 1.25;
  var MIN_SCALE = 0.15;
  var MAX_SCALE = 3;
  // The scale at which names are comfortable to read when the chart zooms to a step.
  var READING_SCALE = 0.85;
  // Below this the whole chart is only a thumbnail (a phone): open at the start instead.
  var THUMBNAIL_SCALE = 0.2;

  function firstFontFamily(element) {
    var family = getComputedStyle(element).fontFamily || "";
    return family.split(",")[0].trim().replace(/^["']|["']$/g, "");
  }

  function loadFont(element) {
    // Names are measured when the diagram is drawn: the font must be there first.
    var family = firstFontFamily(element);
    if (!family || !document.fonts || !document.fonts.load) {
      return Promise.resolve(family);
    }
    var quoted = '"' + family + '"';
    return Promise.all([
      document.fonts.load("400 12px " + quoted),
      document.fonts.load("700 12px " + quoted),
    ]).then(
      function () {
        return family;
      },
      function () {
        return family;
      }
    );
  }

  function readData(root) {
    var source = document.getElementById(root.getAttribute("data-source"));
    return JSON.parse(source ? source.textContent : "null");
  }

  // Arabic-script letters (Persian): such a name is laid out right to left.
  var RTL_LETTERS = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;

  function rightToLeftNames(container) {
    // bpmn-js places each line at its left edge (text-anchor: start, direction: ltr), which
    // leaves Persian words in left-to-right order. Right to left, the anchor `end` is the
    // left edge: the same place, with the words in reading order and brackets mirrored.
    container.querySelectorAll(".djs-visual text").forEach(function (text) {
      if (RTL_LETTERS.test(text.textContent)) {
        text.classList.add("is-rtl");
      }
    });
  }

  function isShape(element) {
    return element && !element.labelTarget && element.type !== "bpmn:Process";
  }

  function markProgress(viewer, data) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var reached = {};

    function mark(ids, marker) {
      (ids || []).forEach(function (id) {
        var element = registry.get(id);
        if (isShape(element)) {
          canvas.addMarker(element, marker);
          reached[id] = true;
        }
      });
    }

    mark(data.completed, "completed");
    mark(data.current, "current");
    if (data.ended) {
      mark([data.ended], "ended");
    }

    // Everything not reached (and its external label) steps back.
    registry.forEach(function (element) {
      var owner = element.labelTarget || element;
      if (
        owner.type === "bpmn:Participant" ||
        owner.type === "bpmn:Lane" ||
        owner.type === "bpmn:Process" ||
        owner === canvas.getRootElement()
      ) {
        return;
      }
      if (!reached[owner.id]) {
        canvas.addMarker(element, "pending");
      }
    });
  }

  function boundsOf(registry, ids) {
    var box = null;
    (ids || []).forEach(function (id) {
      var element = registry.get(id);
      if (!element || element.waypoints || element.labelTarget) {
        return;
      }
      var x2 = element.x + element.width;
      var y2 = element.y + element.height;
      box = box
        ? {
            x: Math.min(box.x, element.x),
            y: Math.min(box.y, element.y),
            x2: Math.max(box.x2, x2),
            y2: Math.max(box.y2, y2),
          }
        : { x: element.x, y: element.y, x2: x2, y2: y2 };
    });
    return box;
  }

  function focusIds(registry, data) {
    // Where the claim is: its people's steps if any (not the timers that run beside them),
    // else whatever it waits for. An ended claim stays fitted: its whole path shows.
    var current = data.current || [];
    var tasks = current.filter(function (id) {
      var element = registry.get(id);
      return element && /Task$/.test(element.type);
    });
    if (tasks.length) {
      return tasks;
    }
    return current;
  }

  function startIds(registry) {
    return registry
      .filter(function (element) {
        return element.type === "bpmn:StartEvent";
      })
      .map(function (element) {
        return element.id;
      });
  }

  function focusOn(canvas, box, atStart) {
    // Centre the box at a readable scale, unless the whole diagram already is readable;
    // atStart: put it at the left edge instead (the chart reads on to the right).
    var fitted = canvas.zoom();
    if (!box || fitted >= READING_SCALE) {
      return;
    }
    var size = canvas.getSize();
    var scale = READING_SCALE;
    var width = box.x2 - box.x;
    var height = box.y2 - box.y;
    // Several steps at once (parallel branches): zoom out enough to show them all.
    scale = Math.min(scale, (size.width - 80) / width, (size.height - 80) / height);
    scale = Math.max(scale, fitted);
    var viewWidth = size.width / scale;
    var viewHeight = size.height / scale;
    canvas.viewbox({
      x: atStart ? box.x - 24 / scale : box.x + width / 2 - viewWidth / 2,
      y: box.y + height / 2 - viewHeight / 2,
      width: viewWidth,
      height: viewHeight,
    });
  }

  function fitHeight(container, canvas) {
    // No taller than the stylesheet allows, and no taller than the diagram needs at the
    // container's width: the whole chart fills the frame.
    var inner = canvas.viewbox().inner;
    if (!inner || !inner.width) {
      return;
    }
    var maximum = container.clientHeight;
    var needed = Math.ceil((container.clientWidth * inner.height) / inner.width) + 48;
    var height = Math.max(Math.min(needed, maximum), Math.min(320, maximum));
    if (height < maximum) {
      container.style.height = height + "px";
      canvas.resized();
    }
  }

  function touchPan(container, canvas) {
    // diagram-js drags with the mouse only: move the chart sideways under a finger too
    // (vertical swipes still scroll the page, see touch-action in the stylesheet).
    var last = null;
    container.addEventListener("pointerdown", function (event) {
      last = event.pointerType === "mouse" ? null : { x: event.clientX, y: event.clientY };
    });
    container.addEventListener("pointermove", function (event) {
      if (!last || event.pointerType === "mouse") {
        return;
      }
      canvas.scroll({ dx: event.clientX - last.x, dy: event.clientY - last.y });
      last = { x: event.clientX, y: event.clientY };
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (type) {
      container.addEventListener(type, function () {
        last = null;
      });
    });
  }

  function zoomOnClick(viewer) {
    // A click on a step brings it to a readable size (a second click leaves it there).
    var canvas = viewer.get("canvas");
    viewer.get("eventBus").on("element.click", function (event) {
      var element = event.element.labelTarget || event.element;
      if (element.waypoints || !element.parent || element === canvas.getRootElement()) {
        return;
      }
      if (element.type === "bpmn:Lane" || element.type === "bpmn:Participant") {
        return;
      }
      focusOn(canvas, {
        x: element.x,
        y: element.y,
        x2: element.x + element.width,
        y2: element.y + element.height,
      });
    });
  }

  function bindToolbar(root, viewer) {
    var canvas = viewer.get("canvas");
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.getAttribute("data-zoom");
        if (action === "fit") {
          canvas.zoom("fit-viewport", "auto");
          return;
        }
        if (action === "full") {
          var target = root;
          if (document.fullscreenElement) {
            document.exitFullscreen();
          } else if (target.requestFullscreen) {
            target.requestFullscreen().catch(function () {});
          }
          return;
        }
        var scale = canvas.zoom();
        scale = action === "in" ? scale * ZOOM_STEP : scale / ZOOM_STEP;
        canvas.zoom(Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale)), "auto");
      });
    });
    var container = root.querySelector(".process-diagram__canvas");
    var full = false;
    document.addEventListener("fullscreenchange", function () {
      var now = document.fullscreenElement === root;
      if (now === full) {
        return;
      }
      full = now;
      root.classList.toggle("is-fullscreen", full);
      container.style.height = "";
      canvas.resized();
      if (!full) {
        fitHeight(container, canvas);
      }
      canvas.zoom("fit-viewport", "auto");
    });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        canvas.resized();
      }, 150);
    });
  }

  function render(root) {
    var data = readData(root);
    var container = root.querySelector(".process-diagram__canvas");
    if (!data || !data.xml || !container || typeof window.BpmnJS !== "function") {
      root.classList.add("is-failed");
      return Promise.resolve(null);
    }
    container.setAttribute("dir", "ltr");
    return loadFont(container).then(function (family) {
      var font = family ? '"' + family + '", sans-serif' : "sans-serif";
      var viewer = new window.BpmnJS({
        container: container,
        // The page scrolls with the wheel; the buttons and dragging move the chart.
        zoomScroll: { enabled: false },
        textRenderer: {
          defaultStyle: { fontFamily: font, fontSize: 12, lineHeight: 1.3 },
          externalStyle: { fontFamily: font, fontSize: 11, lineHeight: 1.2 },
        },
      });
      return viewer.importXML(data.xml).then(
        function () {
          var canvas = viewer.get("canvas");
          rightToLeftNames(container);
          var hasProgress =
            (data.completed && data.completed.length) || (data.current && data.current.length);
          if (hasProgress) {
            root.classList.add("has-progress");
            markProgress(viewer, data);
          }
          canvas.zoom("fit-viewport", "auto");
          var thumbnail = canvas.zoom() < THUMBNAIL_SCALE;
          if (!thumbnail) {
            fitHeight(container, canvas);
            canvas.zoom("fit-viewport", "auto");
          }
          var focus = root.getAttribute("data-focus");
          if (focus === "current") {
            var registry = viewer.get("elementRegistry");
            focusOn(canvas, boundsOf(registry, focusIds(registry, data)));
          } else if (focus) {
            focusOn(canvas, boundsOf(viewer.get("elementRegistry"), focus.split(" ")));
          } else if (thumbnail) {
            var elements = viewer.get("elementRegistry");
            focusOn(canvas, boundsOf(elements, startIds(elements)), true);
          }
          bindToolbar(root, viewer);
          zoomOnClick(viewer);
          touchPan(container, canvas);
          root.classList.add("is-ready");
          root.processDiagram = viewer;
          return viewer;
        },
        function (error) {
          root.classList.add("is-failed");
          if (window.console) {
            window.console.error("process diagram:", error);
          }
          return null;
        }
      );
    });
  }

  function start() {
    document.querySelectorAll("[data-process-diagram]").forEach(render);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
