// Clientside helpers. Served from assets/: no CDN, works in a lecture hall without internet.
(function () {
  // URL flags that belong to the viewer, not to a page's state: the look (dark, present)
  // and, on /embed, whether the controls show. Pages rewrite their query; these survive.
  var VIEWER_FLAGS = ["dark", "present", "controls"];

  function viewerFlags() {
    var here = new URLSearchParams(window.location.search);
    var kept = new URLSearchParams();
    VIEWER_FLAGS.forEach(function (name) {
      if (here.has(name)) kept.set(name, here.get(name));
    });
    return kept;
  }

  function withViewerFlags(query) {
    var params = new URLSearchParams(query);
    viewerFlags().forEach(function (value, name) { params.set(name, value); });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  function dashPrefix() {
    var config = document.getElementById("_dash-config");
    try { return JSON.parse(config.textContent).requests_pathname_prefix || "/"; }
    catch (e) { return "/"; }
  }

  // The look: classes on <html> from the URL flags, so CSS restyles the page.
  function applyLook() {
    var here = new URLSearchParams(window.location.search);
    document.documentElement.classList.toggle("gl-dark", here.get("dark") === "1");
    document.documentElement.classList.toggle("gl-present", here.get("present") === "1");
  }
  applyLook();

  // Navigation inside the app (dcc.Link pushes a bare path) keeps the viewer's flags.
  var lookAtLoad = viewerFlags();
  lookAtLoad.delete("controls");
  function keepLook() {
    var params = new URLSearchParams(window.location.search);
    var changed = false;
    lookAtLoad.forEach(function (value, name) {
      if (!params.has(name)) { params.set(name, value); changed = true; }
    });
    if (changed) {
      window.history.replaceState(window.history.state, "",
        window.location.pathname + "?" + params.toString() + window.location.hash);
    }
  }
  window.addEventListener("_dashprivate_pushstate", keepLook);
  window.addEventListener("popstate", keepLook);

  document.addEventListener("click", function (event) {
    // Look toggles in the navigation bar: flip the flag and reload, so figures are rebuilt
    // with the matching plotly template.
    var toggle = event.target.closest && event.target.closest("[data-look-toggle]");
    if (toggle) {
      var params = new URLSearchParams(window.location.search);
      var flag = toggle.getAttribute("data-look-toggle");
      if (params.get(flag) === "1") params.delete(flag); else params.set(flag, "1");
      var query = params.toString();
      window.location.replace(window.location.pathname + (query ? "?" + query : "") + window.location.hash);
      return;
    }
    // Skip link: move the focus (not only the scroll) to the figures, or to the page's
    // content where it has none; a hash navigation would re-render the page through the router.
    var skip = event.target.closest && event.target.closest(".skip-link");
    if (skip) {
      event.preventDefault();
      var target = document.getElementById("figures") || document.getElementById("content");
      if (target) { target.focus(); target.scrollIntoView({block: "start"}); }
      return;
    }
    // "embed" button beside a figure: fill in the iframe snippet and the link for this state,
    // with the lesson-link options (show controls, lock or hide each parameter) beside them.
    var button = event.target.closest && event.target.closest("[data-embed-figure]");
    if (button) {
      var box = button.closest(".figure-box").querySelector(".embed-box");
      if (box.hidden) buildEmbedOptions(box);
      fillEmbed(box);
      box.hidden = !box.hidden;
      button.setAttribute("aria-expanded", String(!box.hidden));
      return;
    }
    // "PyTorch code": the script for the page's current state (app/code_route.py)
    var codeButton = event.target.closest && event.target.closest("[data-code-page]");
    if (codeButton) {
      var codeBox = document.getElementById(codeButton.getAttribute("aria-controls"));
      codeBox.hidden = !codeBox.hidden;
      codeButton.setAttribute("aria-expanded", String(!codeBox.hidden));
      if (codeBox.hidden) return;
      var source = dashPrefix() + "code/" + codeButton.getAttribute("data-code-page") + ".py" +
        window.location.search;
      codeBox.querySelector(".code-download").href = source;
      var text = codeBox.querySelector(".code-text");
      text.value = "loading…";
      fetch(source, {credentials: "same-origin"})
        .then(function (answer) { return answer.text(); })
        .then(function (script) { text.value = script; })
        .catch(function () { text.value = "The script could not be loaded; try again."; });
      return;
    }
    // "data": the figure's numbers as an HTML table, kept up to date while it is open.
    var tableButton = event.target.closest && event.target.closest("[data-table-figure]");
    if (tableButton) {
      var id = tableButton.getAttribute("data-table-figure");
      var holder = document.getElementById(id + "-table");
      holder.hidden = !holder.hidden;
      tableButton.setAttribute("aria-expanded", String(!holder.hidden));
      if (!holder.hidden) renderTable(id);
      return;
    }
    // "SVG": the figure as a vector image for slides (the modebar's camera gives the PNG).
    var svgButton = event.target.closest && event.target.closest("[data-svg-figure]");
    if (svgButton) {
      var gd = plotDiv(svgButton.getAttribute("data-svg-figure"));
      if (gd && window.Plotly) {
        window.Plotly.downloadImage(gd, {format: "svg", filename: svgButton.getAttribute("data-svg-figure")});
      }
      return;
    }
    var copy = event.target.closest && event.target.closest("[data-copy]");
    if (copy) {
      var field = copy.parentElement.querySelector("textarea, input") ||
        copy.closest(".code-box").querySelector("textarea");
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
    }
  });


  // ---- the embed box: a link and an <iframe> snippet for this figure in this state, and the
  // lesson-link options: "show controls" (controls=1) and, per parameter, "lock" (lock=: shown,
  // not movable) and "hide" (hide=: not shown). Real checkboxes; the link and the snippet
  // follow them as they are ticked, and follow the page's state while the box is open.

  function urlList(key) {  // a comma list of the page's URL (lock=, hide=)
    var value = new URLSearchParams(window.location.search).get(key);
    return value ? value.split(",").map(function (s) { return s.trim(); }).filter(Boolean) : [];
  }

  // The page's parameters: the controls it shows (components/controls.py tag_param marks
  // them), in panel order, then those the link hides (not on the page at all).
  function pageParams() {
    var seen = {}, out = [];
    document.querySelectorAll(".controls [data-param]").forEach(function (el) {
      var name = el.getAttribute("data-param");
      if (seen[name] || el.offsetParent === null) return;  // another model's panel on /train
      seen[name] = true;
      out.push({name: name, label: el.getAttribute("data-param-label") || name});
    });
    urlList("hide").forEach(function (name) {
      if (!seen[name]) { seen[name] = true; out.push({name: name, label: name}); }
    });
    return out;
  }

  function checkbox(text, hint, attrs) {
    var label = document.createElement("label"), input = document.createElement("input");
    label.className = "embed-check";
    input.type = "checkbox";
    Object.keys(attrs).forEach(function (k) { input.setAttribute(k, attrs[k]); });
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + text));
    if (hint) {  // read with the checkbox's name, not shown: the row already says which
      var more = document.createElement("span");
      more.className = "sr-only";
      more.textContent = " " + hint;
      label.appendChild(more);
    }
    return {label: label, input: input};
  }

  function buildEmbedOptions(box) {
    var holder = box.querySelector(".embed-options");
    var params = pageParams();
    var names = params.map(function (p) { return p.name; }).join(",");
    // built once, kept while the page shows the same controls (/train's panel may change)
    if (!holder || holder.getAttribute("data-built") === names) return;
    holder.setAttribute("data-built", names);
    holder.textContent = "";
    var lock = urlList("lock"), hide = urlList("hide");
    var show = checkbox("show the controls", "", {"data-embed-option": "controls"});
    show.input.checked = new URLSearchParams(window.location.search).get("controls") === "1";
    holder.appendChild(show.label);
    if (!params.length) return;
    var set = document.createElement("fieldset");
    set.className = "embed-params";
    var legend = document.createElement("legend");
    legend.textContent = "In the embed, lock or hide a control";
    set.appendChild(legend);
    params.forEach(function (p) {
      var row = document.createElement("div"), name = document.createElement("span");
      row.className = "embed-param";
      name.className = "embed-param-name";
      name.textContent = p.name;
      name.title = p.label;
      name.setAttribute("aria-hidden", "true");  // each checkbox's name says it
      row.appendChild(name);
      ["lock", "hide"].forEach(function (key) {
        var box_ = checkbox(key, p.name + (p.label !== p.name ? " (" + p.label + ")" : ""),
                            {"data-pin": key, value: p.name});
        box_.input.checked = (key === "lock" ? lock : hide).indexOf(p.name) >= 0;
        row.appendChild(box_.label);
      });
      set.appendChild(row);
      hideImpliesLock(row);
    });
    set.hidden = !show.input.checked;
    holder.appendChild(set);
  }

  // A hidden control is fixed too: while "hide" is ticked its row's "lock" shows ticked and
  // cannot be changed (and comes back as it was when "hide" is unticked).
  function hideImpliesLock(row) {
    var lock = row.querySelector("input[data-pin=lock]"), hide = row.querySelector("input[data-pin=hide]");
    if (!lock || !hide || lock.disabled === hide.checked) return;
    if (hide.checked) {
      lock.setAttribute("data-was", String(lock.checked));
      lock.checked = true;
    } else {
      lock.checked = lock.getAttribute("data-was") === "true";
    }
    lock.disabled = hide.checked;
  }

  function embedUrl(box) {
    var figure = box.closest(".figure-box").querySelector("[data-embed-figure]")
      .getAttribute("data-embed-figure");
    var params = new URLSearchParams(withViewerFlags(window.location.search));
    var holder = box.querySelector(".embed-options");
    var show = holder && holder.querySelector("[data-embed-option=controls]");
    if (show) {
      if (show.checked) params.set("controls", "1"); else params.delete("controls");
      var picked = function (key) {
        return Array.from(holder.querySelectorAll("input[data-pin=" + key + "]:checked"))
          .map(function (input) { return input.value; });
      };
      var hide = picked("hide");
      var lock = picked("lock").filter(function (n) { return hide.indexOf(n) < 0; });
      [["lock", lock], ["hide", hide]].forEach(function (pair) {
        if (pair[1].length) params.set(pair[0], pair[1].join(",")); else params.delete(pair[0]);
      });
    }
    var text = params.toString();
    return window.location.origin + dashPrefix() + "embed/" + figure + (text ? "?" + text : "");
  }

  function fillEmbed(box) {
    var url = embedUrl(box);
    box.querySelector(".embed-link").value = url;
    box.querySelector(".embed-snippet").value =
      '<iframe src="' + url + '" width="720" height="480" style="border:0" ' +
      'title="GradLab figure" loading="lazy"></iframe>';
    var set = box.querySelector(".embed-params"), show = box.querySelector("[data-embed-option=controls]");
    if (set && show) set.hidden = !show.checked;  // lock and hide only matter with controls
  }

  function refreshOpenEmbeds() {
    document.querySelectorAll(".embed-box:not([hidden])").forEach(fillEmbed);
  }

  document.addEventListener("change", function (event) {
    var box = event.target.closest && event.target.closest(".embed-options") &&
      event.target.closest(".embed-box");
    if (!box) return;
    var row = event.target.closest(".embed-param");
    if (row) hideImpliesLock(row);
    fillEmbed(box);
  });

  // A locked control (components/controls.py locked): Dash 4 disables the slider's root and
  // drops its thumb from the tab order, but the thumb, which has the slider role, does not
  // say it is disabled; here it does, for screen readers.
  function markLocked() {
    document.querySelectorAll(".control-locked [role=slider]").forEach(function (thumb) {
      if (thumb.getAttribute("aria-disabled") !== "true") thumb.setAttribute("aria-disabled", "true");
    });
  }
  // (run with nameControls, by the one observer of the page's DOM below)


  // ---- a figure's numbers: one reading of what plotly.js plotted serves the table and the CSV

  function plotDiv(graphId) {
    var box = document.getElementById(graphId);
    return box && (box.classList.contains("js-plotly-plot") ? box : box.querySelector(".js-plotly-plot"));
  }

  function plainText(html) {  // sub- and superscripts kept as _n and ^(n−l)
    var script = function (mark) {
      return function (_, inner) { return mark + (inner.length > 1 ? "(" + inner + ")" : inner); };
    };
    var div = document.createElement("div");
    div.innerHTML = String(html || "").replace(/<br\s*\/?>/gi, " ")
      .replace(/<sub>(.*?)<\/sub>/gi, script("_")).replace(/<sup>(.*?)<\/sup>/gi, script("^"));
    return (div.textContent || "").trim();
  }

  function cell(v) {  // Python's float() reads every one of these back
    if (typeof v === "number") {
      if (Number.isNaN(v)) return "nan";
      if (v === Infinity) return "inf";
      if (v === -Infinity) return "-inf";
      return String(v);
    }
    return v === undefined || v === null ? "" : String(v);
  }

  function axisTitle(layout, ref, letter) {
    var axis = layout[letter + "axis" + (ref && ref.length > 1 ? ref.slice(1) : "")];
    return axis && axis.title && axis.title.text ? plainText(axis.title.text) : letter;
  }

  function axisHidden(layout, ref) {
    var axis = layout["yaxis" + (ref && ref.length > 1 ? ref.slice(1) : "")];
    return axis && axis.visible === false;
  }

  // Rows of (series, x, y, z, value): x, y, z exactly as plotted; "value" is the number a
  // point stands for where that differs from its position (a signed value drawn as |v| on a
  // log axis, inf/NaN marked on the hidden edge axis: there y is a position, not data).
  function figureData(graphId) {
    var gd = plotDiv(graphId);
    if (!gd || !gd._fullData) return null;
    var layout = gd._fullLayout, rows = [], axes = {}, traces = gd._fullData;
    traces.forEach(function (t) {
      if (t.visible === false) return;
      var name = plainText(t.name), custom = t.customdata;
      var hidden = axisHidden(layout, t.yaxis);
      if (t.z && t.z.length && t.z[0] && t.z[0].length !== undefined) {  // heatmap, surface
        var z = t.z, x = t.x, y = t.y;
        for (var i = 0; i < z.length; i++) {
          for (var j = 0; j < z[i].length; j++) {
            var xv = x ? (x[i] && x[i].length !== undefined ? x[i][j] : x[j]) : j;
            var yv = y ? (y[i] && y[i].length !== undefined ? y[i][j] : y[i]) : i;
            rows.push([name, xv, yv, z[i][j], ""]);
          }
        }
      } else if (t.x || t.y) {
        var n = Math.max(t.x ? t.x.length : 0, t.y ? t.y.length : 0);
        for (var k = 0; k < n; k++) {
          var value = custom && custom.length === n ? custom[k] : "";
          if (value && typeof value === "object") value = "";  // hover extras, not a value
          rows.push([name, t.x ? t.x[k] : k, hidden ? "" : (t.y ? t.y[k] : k),
                     t.z ? t.z[k] : "", value]);
        }
      }
      axes[(t.xaxis || "x") + "|" + (t.yaxis || "y")] = [
        axisTitle(layout, t.xaxis, "x"), hidden ? "" : axisTitle(layout, t.yaxis, "y")];
    });
    var pairs = Object.keys(axes).map(function (k) { return axes[k]; })
      .filter(function (a) { return a[1] !== ""; });
    var one = pairs.length === 1 || pairs.every(function (a) {
      return a[0] === pairs[0][0] && a[1] === pairs[0][1]; });
    var columns = ["series", one && pairs.length ? pairs[0][0] : "x",
                   one && pairs.length ? pairs[0][1] : "y", "z", "value"];
    var used = [0, 1, 2].concat([3, 4].filter(function (c) {
      return rows.some(function (r) { return r[c] !== "" && r[c] !== undefined; }); }));
    var title = layout.title && layout.title.text ? plainText(layout.title.text) : graphId;
    return {title: title, columns: used.map(function (c) { return columns[c]; }),
            rows: rows.map(function (r) { return used.map(function (c) { return r[c]; }); }),
            axes: pairs};
  }

  function csvField(v) {
    var text = cell(v);
    return /[",\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function figureCsvText(graphId) {
    var data = figureData(graphId);
    if (!data) return null;
    var here = new URLSearchParams(window.location.search);
    var header = ["# GradLab figure: " + data.title,
                  "# page: " + window.location.href,
                  "# parameters: " + (Array.from(here.keys()).length ?
                    Array.from(here.entries()).map(function (e) { return e[0] + "=" + e[1]; }).join(", ")
                    : "the page's defaults")];
    if (data.axes.length > 1) {
      data.axes.forEach(function (a) { header.push("# axes: x = " + a[0] + ", y = " + a[1]); });
    }
    header.push("# " + data.rows.length + " plotted points, every trace; inf and nan are as computed");
    var lines = [data.columns.map(csvField).join(",")];
    data.rows.forEach(function (r) { lines.push(r.map(csvField).join(",")); });
    return header.join("\n") + "\n" + lines.join("\n") + "\n";
  }

  var TABLE_ROWS = 400;  // the CSV has every row
  function renderTable(graphId) {
    var holder = document.getElementById(graphId + "-table");
    var data = figureData(graphId);
    if (!holder || holder.hidden) return;
    holder.textContent = "";
    if (!data) { holder.textContent = "The figure has no data yet."; return; }
    var table = document.createElement("table");
    var caption = document.createElement("caption");
    caption.textContent = data.title + (data.rows.length > TABLE_ROWS ?
      " (the first " + TABLE_ROWS + " of " + data.rows.length + " points; CSV has them all)" : "");
    table.appendChild(caption);
    var head = table.createTHead().insertRow();
    data.columns.forEach(function (c) {
      var th = document.createElement("th"); th.scope = "col"; th.textContent = c; head.appendChild(th);
    });
    var body = table.createTBody();
    data.rows.slice(0, TABLE_ROWS).forEach(function (r) {
      var row = body.insertRow();
      r.forEach(function (v) { row.insertCell().textContent = cell(v); });
    });
    holder.appendChild(table);
  }
  // an open table follows its figure (its summary changes with it)
  function refreshOpenTables() {
    document.querySelectorAll(".figure-table:not([hidden])").forEach(function (holder) {
      renderTable(holder.id.replace(/-table$/, ""));
    });
  }

  // ---- names for Dash 4's controls, and the page's one live region

  var labelCount = 0;
  function nameControls() {
    document.querySelectorAll(".control").forEach(function (box) {
      var label = box.querySelector(":scope > label, :scope > .control-label");
      if (!label) return;
      if (!label.id) label.id = "gl-label-" + (++labelCount);
      var set = function (el, name, value) {
        if (el.getAttribute(name) !== value) el.setAttribute(name, value);
      };
      box.querySelectorAll("[role=slider], input[type=number]").forEach(function (el) {
        set(el, "aria-labelledby", label.id);
      });
      box.querySelectorAll(".dash-dropdown-focus-target").forEach(function (el) {
        // Dash hides this focus proxy from screen readers yet keeps it in the tab order
        // (axe: aria-hidden-focus); named instead, it reads as the control it stands for
        el.removeAttribute("aria-hidden");
        set(el, "aria-labelledby", label.id);
      });
      box.querySelectorAll("button.dash-dropdown").forEach(function (el) {
        set(el, "aria-labelledby", label.id + " " + el.id + "-value");
      });
      box.querySelectorAll(".dash-options-list").forEach(function (list) {
        // a listbox of labels holding checkboxes nests interactive elements: a plain group of
        // native checkboxes (or radios) says the same thing correctly
        set(list, "role", list.querySelector("input[type=radio]") ? "radiogroup" : "group");
        set(list, "aria-labelledby", label.id);
        list.querySelectorAll(".dash-options-list-option").forEach(function (option) {
          option.removeAttribute("role");
          option.removeAttribute("aria-selected");
        });
      });
    });
    var here = new URLSearchParams(window.location.search);
    document.querySelectorAll("[data-look-toggle]").forEach(function (toggle) {
      var on = String(here.get(toggle.getAttribute("data-look-toggle")) === "1");
      if (toggle.getAttribute("aria-pressed") !== on) toggle.setAttribute("aria-pressed", on);
    });
  }

  var announced = "", announceTimer = null;
  function announceFigures() {  // once the figures have settled, not per slider step
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      var region = document.getElementById("figure-announcer");
      if (!region) return;
      var text = Array.from(document.querySelectorAll(".figure-summary"))
        .filter(function (p) { return p.offsetParent !== null && p.textContent; })
        .map(function (p) { return p.textContent; }).join(" ");
      if (text && text !== announced) { announced = text; region.textContent = text; }
    }, 1200);
  }

  // One observer of the page's DOM: sentences that changed are announced (and open tables
  // follow); controls that (re)rendered get their names and lock state, once a frame.
  // Changes inside a plot (hover, redraw: most of the traffic) concern neither.
  var pending = false;
  new MutationObserver(function (records) {
    var nodes = records.map(function (r) {
      return r.target.nodeType === 1 ? r.target : r.target.parentElement;
    }).filter(function (node) { return node && node.closest && !node.closest(".js-plotly-plot"); });
    if (!nodes.length) return;
    if (nodes.some(function (node) { return node.closest(".figure-summary"); })) {
      announceFigures();
      refreshOpenTables();
    }
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; nameControls(); markLocked(); });
  }).observe(document.documentElement, {
    childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ["role", "aria-hidden", "aria-selected", "aria-labelledby"]});

  // The tour: ← and → follow the previous/next links (unless a control has the focus).
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) ||
                   target.getAttribute("role") === "slider")) return;
    var id = event.key === "ArrowRight" ? "tour-next" : event.key === "ArrowLeft" ? "tour-prev" : null;
    var link = id && document.getElementById(id);
    if (link) { event.preventDefault(); link.click(); }
  });

  // /train: follow this tab's run, once a second, with two plain GETs (app/pages/train/
  // routes.py): the news, and — only when the run published a new snapshot — its figures,
  // the run's stored JSON, to which this page's look (its plotly template) is given here.
  var FIGURES = 6;  // the first outputs are the figures, the last the tab's run reference
  function pollRun(n, ref, tab, template) {
    var dc = window.dash_clientside;
    if (!ref || !ref.id) throw dc.PreventUpdate;
    var query = new URLSearchParams({run: ref.id, tab: tab || "", have: String(ref.version),
                                     seen: JSON.stringify(ref.seen || null)});
    return fetch(dashPrefix() + "runs/poll?" + query.toString(), {credentials: "same-origin"})
      .then(function (answer) {
        if (answer.status === 204) throw dc.PreventUpdate;
        if (!answer.ok) throw new Error("poll " + answer.status);
        return answer.json();
      })
      .then(function (news) {
        var out = news.out.map(function (v) {
          return v && v.__no_update__ ? dc.no_update : v;
        });
        if (!news.figures) return out;
        return fetch(news.figures, {credentials: "same-origin"}).then(function (answer) {
          if (!answer.ok) {  // superseded meanwhile: the next poll brings the newer one
            // the figures' sentences (the FIGURES outputs after them) describe those figures:
            // they wait for them too, so a sentence never describes a figure not yet shown
            for (var j = FIGURES; j < 2 * FIGURES; j++) out[j] = dc.no_update;
            var last = out.length - 1;
            out[last] = Object.assign({}, out[last] || {}, {version: ref.version});
            return out;
          }
          return answer.json().then(function (figures) {
            for (var i = 0; i < FIGURES; i++) {
              figures[i].layout = Object.assign({}, figures[i].layout, {template: template});
              out[i] = figures[i];
            }
            return out;
          });
        });
      })
      .catch(function (error) {
        if (error === dc.PreventUpdate) throw error;
        throw dc.PreventUpdate;  // a network hiccup: the next tick tries again
      });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    gradlab: {
      pollRun: pollRun,
      figureData: figureData,
      figureCsvText: figureCsvText,
      // dcc.Download of the pressed figure's CSV (app/figure_tools.py)
      figureCsv: function () {
        var ctx = window.dash_clientside.callback_context;
        var id = ctx && ctx.triggered_id && ctx.triggered_id.figure;
        var text = id && figureCsvText(id);
        if (!text) throw window.dash_clientside.PreventUpdate;
        return {content: text, filename: id + ".csv", type: "text/csv"};
      },
      // The server sends the canonical, validated query string; the address bar follows it
      // without a navigation (replaceState), so a copied URL reopens exactly this state.
      mirrorQuery: function (query) {
        if (typeof query !== "string" || query.charAt(0) !== "?") return;
        var full = withViewerFlags(query);
        if (full !== window.location.search) {
          window.history.replaceState(window.history.state, "",
            window.location.pathname + full + window.location.hash);
          refreshOpenEmbeds();  // an open embed box follows the state
        }
      },
    },
  });
})();
