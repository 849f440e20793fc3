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
    // "embed" button beside a figure: fill in the iframe snippet and the link for this state.
    var button = event.target.closest && event.target.closest("[data-embed-figure]");
    if (button) {
      var box = button.parentElement.querySelector(".embed-box");
      var url = window.location.origin + dashPrefix() + "embed/" +
        button.getAttribute("data-embed-figure") + withViewerFlags(window.location.search);
      box.querySelector(".embed-link").value = url;
      box.querySelector(".embed-snippet").value =
        '<iframe src="' + url + '" width="720" height="480" style="border:0" ' +
        'title="GradLab figure" loading="lazy"></iframe>';
      box.hidden = !box.hidden;
      return;
    }
    var copy = event.target.closest && event.target.closest("[data-copy]");
    if (copy) {
      var field = copy.parentElement.querySelector("textarea, input");
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).catch(function () {});
    }
  });

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
      // The server sends the canonical, validated query string; the address bar follows it
      // without a navigation (replaceState), so a copied URL reopens exactly this state.
      mirrorQuery: function (query) {
        if (typeof query !== "string" || query.charAt(0) !== "?") return;
        var full = withViewerFlags(query);
        if (full !== window.location.search) {
          window.history.replaceState(window.history.state, "",
            window.location.pathname + full + window.location.hash);
        }
      },
    },
  });
})();
