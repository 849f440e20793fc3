// Live sessions (app/live): one tab leads, the hall's tabs follow it.
//
// A tab's role is kept in its sessionStorage (per tab, survives navigation and reloads within
// GradLab, never in a URL, so it cannot leak into a copied link, an embed snippet or the address
// bar's mirror of the page state):
//   {role: "lead", id, token, follow_url, qr_url}
//   {role: "follow", id, mode: "following" | "exploring" | "ended"}
// The lead watches its own location (every page keeps its state there) and POSTs it when it
// changes; a follower polls the session's state once a second (If-None-Match: a 304 costs the
// server one store read) and applies a new one: the one control that moved, via
// dash_clientside.set_props (the page's callback then asks the server what the lead asked: a
// cache hit); another page or several controls: navigation inside the app; another look: reload.
(function () {
  "use strict";
  // The tour's figures are GradLab pages in iframes: they share this tab's sessionStorage, and
  // must neither follow nor lead on their own.
  if (window.top !== window.self) return;

  var KEY = "gradlab-live";
  var VIEWER_FLAGS = ["dark", "present", "controls"];
  var WATCH_MS = 250, POLL_MS = 1000;
  var root = document.documentElement;

  function prefix() {
    var own = root.getAttribute("data-live-prefix");  // the lead link's page (no Dash)
    if (own) return own;
    var config = document.getElementById("_dash-config");
    try { return JSON.parse(config.textContent).requests_pathname_prefix || "/"; }
    catch (e) { return "/"; }
  }
  function sessionUrl(id, tail) { return prefix() + "live/" + id + (tail || ""); }

  function role() {
    try { return JSON.parse(window.sessionStorage.getItem(KEY)) || null; }
    catch (e) { return null; }
  }
  function setRole(value) {
    try {
      if (value) window.sessionStorage.setItem(KEY, JSON.stringify(value));
      else window.sessionStorage.removeItem(KEY);
    } catch (e) { /* storage blocked: the role lasts as long as this page */ }
    memory = value;
  }
  var memory = null;
  function current() { return role() || memory; }

  function postJson(url, body) {
    return fetch(url, {method: "POST", cache: "no-store", credentials: "same-origin",
                       headers: {"Content-Type": "application/json"},
                       body: JSON.stringify(body)});
  }

  // "/chain?w=1&dark=1" → "/chain?w=1": where a page is, whatever the viewer's flags
  function place(href) {
    var url = new URL(href, window.location.origin);
    VIEWER_FLAGS.forEach(function (flag) { url.searchParams.delete(flag); });
    url.searchParams.sort();
    return url.pathname.replace(/\/$/, "") + "?" + url.searchParams.toString();
  }
  function look() {
    return {dark: root.classList.contains("gl-dark"), present: root.classList.contains("gl-present")};
  }
  function takesPart(pathname) {  // pages a lead publishes: not this machinery's own, not embeds
    var p = prefix();
    return pathname.indexOf(p + "live/") !== 0 && pathname.indexOf(p + "embed/") !== 0;
  }
  function stripHash() {
    window.history.replaceState(window.history.state, "",
                                window.location.pathname + window.location.search);
  }

  // ---- arriving: a follow link redirected here with #live=<id>, or a lead link's page

  var joined = /^#live=([a-z0-9]{1,32})$/.exec(window.location.hash);
  if (joined) {  // before Dash starts: the page's URL mirror keeps the hash otherwise
    setRole({role: "follow", id: joined[1], mode: "following"});
    stripHash();
  }
  var claimed = root.getAttribute("data-live-claim");
  if (claimed) {
    var token = window.location.hash.slice(1);
    stripHash();  // the token never stays in the address bar or the history
    var say = function (text) { document.getElementById("live-notice-message").textContent = text; };
    if (!token) {
      say("This lead link has no token: open the whole link you were given.");
    } else {
      postJson(sessionUrl(claimed, "/lead"), {token: token}).then(function (answer) {
        if (!answer.ok) {
          say(answer.status === 403 ? "This lead link is not valid for this session: its " +
              "token is wrong. Open the whole link you were given." :
              "This live session does not exist or has expired.");
          return null;
        }
        return answer.json().then(function (state) {
          setRole({role: "lead", id: claimed, token: token,
                   follow_url: window.location.origin + sessionUrl(claimed),
                   qr_url: sessionUrl(claimed, "/qr.svg")});
          window.location.replace(state.href);
        });
      }).catch(function () { say("The server could not be reached: try the link again."); });
    }
    return;
  }

  // ---- the banner: which mode this tab is in, said in words (and to screen readers)

  var TEXT = {
    lead: ["● Live", "You lead session ", ". Everyone following sees what this tab shows."],
    following: ["▶ Following", "This page follows the lecturer (session ", ")."],
    exploring: ["◇ On your own", "You are exploring on your own; the lecturer's session ",
                " goes on."],
    ended: ["■ Ended", "The live session ", " has ended or expired: the controls are yours."],
  };
  var BUTTONS = {
    lead: [["Show follow link", "show"], ["End session", "end"]],
    following: [["Explore on my own", "explore"], ["Leave", "leave"]],
    exploring: [["Rejoin the lecturer", "rejoin"], ["Leave", "leave"]],
    ended: [["Dismiss", "leave"]],
  };

  function bar() {
    var box = document.getElementById("live-banner");
    if (box) return box;
    box = document.createElement("section");
    box.id = "live-banner";
    box.className = "live-banner";
    box.setAttribute("aria-label", "Live session");
    box.hidden = true;
    var status = document.createElement("p");
    status.className = "live-banner-text";
    status.setAttribute("role", "status");  // polite: said when the reader is not busy
    var actions = document.createElement("span");
    actions.className = "live-banner-actions";
    box.appendChild(status);
    box.appendChild(actions);
    document.body.appendChild(box);  // last in the page: after the skip link and the content
    return box;
  }

  function showMode() {
    var r = current();
    var mode = !r ? null : r.role === "lead" ? "lead" : r.mode;
    var box = bar();
    root.classList.toggle("gl-live", !!mode);
    root.classList.toggle("gl-live-lead", mode === "lead");
    if (!mode) { box.hidden = true; box.removeAttribute("data-live-mode"); return; }
    if (box.getAttribute("data-live-mode") === mode) return;
    box.hidden = false;
    box.setAttribute("data-live-mode", mode);
    var actions = box.querySelector(".live-banner-actions");
    actions.textContent = "";
    BUTTONS[mode].forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "live-button";
      button.textContent = b[0];
      button.setAttribute("data-live-action", b[1]);
      if (b[1] === "show") button.setAttribute("aria-haspopup", "dialog");
      actions.appendChild(button);
    });
    var words = TEXT[mode];
    // a new text in a region that already exists is what screen readers announce
    setTimeout(function () {
      var status = box.querySelector(".live-banner-text");
      status.textContent = "";
      var badge = document.createElement("strong");
      badge.className = "live-badge";
      badge.textContent = words[0];
      var id = document.createElement("span");
      id.className = "live-id";
      id.textContent = r.id;
      status.appendChild(badge);
      status.appendChild(document.createTextNode(" " + words[1]));
      status.appendChild(id);
      status.appendChild(document.createTextNode(words[2]));
    }, 100);
  }

  // ---- the lead: publish this tab's location whenever it changes (at most one request in
  // flight, always the newest location: a drag sends a few states, not every step)

  var lead = {sent: null, busy: false};
  function publish() {
    var r = current();
    if (!r || r.role !== "lead" || lead.busy || !takesPart(window.location.pathname)) return;
    var here = window.location.pathname + window.location.search;
    if (here === lead.sent) return;
    lead.busy = true;
    postJson(sessionUrl(r.id, "/state"), {token: r.token, path: window.location.pathname,
                                         query: window.location.search})
      .then(function (answer) {
        if (answer.ok || answer.status === 400) lead.sent = here;  // 400: not a page to follow
        else if (answer.status === 404 || answer.status === 403) {
          setRole({role: "follow", id: r.id, mode: "ended"});
          showMode();
        }  // 429: over the server's bound; the next tick sends the newest location
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () { lead.busy = false; });
  }
  setInterval(publish, WATCH_MS);

  // ---- a follower: poll, and apply what is new

  var follower = {etag: null, applied: null, timer: null};
  function schedule(ms) {
    clearTimeout(follower.timer);
    follower.timer = setTimeout(poll, ms === undefined ? POLL_MS : ms);
  }
  function poll() {
    var r = current();
    if (!r || r.role !== "follow" || r.mode !== "following") return;
    if (document.hidden) return;  // a hidden tab asks nothing; it catches up when shown
    var headers = follower.etag ? {"If-None-Match": follower.etag} : {};
    fetch(sessionUrl(r.id, "/state"), {cache: "no-store", credentials: "same-origin",
                                       headers: headers})
      .then(function (answer) {
        if (answer.status === 404) { setRole(Object.assign({}, r, {mode: "ended"})); showMode(); return null; }
        if (answer.status !== 200) return null;  // 304: nothing new
        follower.etag = answer.headers.get("ETag");
        return answer.json();
      })
      .then(function (state) { if (state && current() && current().mode === "following") apply(state); })
      .catch(function () { /* a network hiccup: the next tick asks again */ })
      .then(function () { schedule(); });
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) schedule(0); });

  // how the last state was applied, for tests and the curious: control, navigate or reload
  function applied(how) { root.setAttribute("data-live-applied", how); }

  function apply(state) {
    var before = follower.applied;
    follower.applied = state;
    var mine = look();
    if (mine.dark !== state.look.dark || mine.present !== state.look.present) {
      applied("reload");
      window.location.replace(state.href);  // figures take their look when they are built
      return;
    }
    if (place(window.location.pathname + window.location.search) === place(state.href)) return;
    var samePage = place(window.location.pathname).split("?")[0] === place(state.href).split("?")[0];
    if (samePage && before && before.path === state.path && before.controls && state.controls) {
      var moved = Object.keys(state.controls).filter(function (id) {
        return JSON.stringify(state.controls[id]) !== JSON.stringify(before.controls[id]);
      });
      if (!moved.length) return;  // another spelling of the same state
      var dc = window.dash_clientside;
      if (moved.length === 1 && document.getElementById(moved[0]) && dc && dc.set_props) {
        dc.set_props(moved[0], {value: state.controls[moved[0]]});
        applied("control");
        return;
      }
    }
    // several controls, another page, the tour's next step: Dash's router renders the page
    // for the lead's URL (what dcc.Link does); replaceState: Back leaves the lecture, it
    // does not step through every slider move
    window.history.replaceState(window.history.state, "", state.href);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    applied("navigate");
  }

  // A follower who moves a control or follows a link is exploring on their own: their move
  // stays (the next lead change would otherwise undo it without a word).
  var OWN_MOVE = "a, button, input, select, textarea, label, [role=slider], [role=checkbox], " +
                 "[role=radio], [role=combobox], .dash-dropdown";
  // what reads a figure or finds one's way without changing the page's state
  var NOT_A_MOVE = "#live-banner, #live-dialog, [data-live-go], .skip-link, .modebar, " +
                   ".figure-tools, .embed-box, .figure-table";
  function ownMove(event) {
    var r = current();
    if (!event.isTrusted || !r || r.role !== "follow" || r.mode !== "following") return;
    var target = event.target;
    if (!target.closest || target.closest(NOT_A_MOVE)) return;
    if (event.type === "keydown") {
      if (/^(Tab|Shift|Control|Alt|Meta|Escape)$/.test(event.key)) return;
      // the tour's ← and → (assets/gradlab.js) step it from anywhere on the page
      if (/^Arrow(Left|Right)$/.test(event.key) && document.getElementById("tour-count") &&
          !target.closest(OWN_MOVE)) { explore(); return; }
    }
    if (target.closest(OWN_MOVE) && target.closest("#react-entry-point")) explore();
  }
  document.addEventListener("pointerdown", ownMove, true);
  document.addEventListener("keydown", ownMove, true);

  function explore() {
    var r = current();
    setRole(Object.assign({}, r, {mode: "exploring"}));
    clearTimeout(follower.timer);
    showMode();
  }
  function rejoin() {
    var r = current();
    setRole(Object.assign({}, r, {mode: "following"}));
    follower.etag = follower.applied = null;  // the controls were theirs: take the lead's whole state
    showMode();
    schedule(0);
  }

  // ---- going live: the dialog with the follow link and its QR code

  function goLive(opener) {
    var r = current();
    if (r && r.role === "lead") { showDialog(r, null, opener); return; }
    postJson(prefix() + "live", {path: window.location.pathname, query: window.location.search})
      .then(function (answer) {
        return answer.json().then(function (body) {
          if (!answer.ok) { showDialog(null, body.error || "The live session could not start.", opener); return; }
          var mine = {role: "lead", id: body.id, token: body.token,
                      follow_url: body.follow_url, qr_url: body.qr_url};
          setRole(mine);
          lead.sent = null;
          showMode();
          showDialog(mine, null, opener);
        });
      })
      .catch(function () { showDialog(null, "The server could not be reached.", opener); });
  }

  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function showDialog(session, error, opener) {
    var dialog = document.getElementById("live-dialog");
    if (!dialog) {
      dialog = element("dialog", {id: "live-dialog", "class": "live-dialog",
                                  "aria-labelledby": "live-dialog-title",
                                  "aria-describedby": "live-dialog-help"});
      document.body.appendChild(dialog);
      dialog.addEventListener("click", function (event) {  // a click on the backdrop closes it
        if (event.target === dialog) dialog.close();
      });
      dialog.addEventListener("close", function () {
        if (dialog.opener && dialog.opener.focus) dialog.opener.focus();
      });
    }
    dialog.opener = opener;
    dialog.textContent = "";
    var body = element("div", {"class": "live-dialog-body"});
    var words = element("div", {"class": "live-dialog-words"});
    if (session) {
      var shown = session.follow_url.replace(/^https?:\/\//, "");
      body.appendChild(element("img", {"class": "live-qr", src: session.qr_url,
                                       alt: "QR code of the follow link " + shown}));
      words.appendChild(element("h2", {id: "live-dialog-title"}, "Follow this lecture live"));
      words.appendChild(element("p", {id: "live-dialog-help"},
        "Scan the code or type the link: your page then shows what this one shows, " +
        "page by page and slider by slider."));
      var link = element("a", {"class": "live-url", href: session.follow_url});
      var cut = shown.indexOf("/live/");
      link.appendChild(element("span", {"class": "live-url-host"}, shown.slice(0, cut)));
      link.appendChild(element("span", {"class": "live-url-path"}, shown.slice(cut)));
      words.appendChild(link);
      var actions = element("div", {"class": "live-dialog-actions"});
      actions.appendChild(element("button", {type: "button", "class": "live-button",
                                             "data-live-action": "copy"}, "Copy link"));
      actions.appendChild(element("button", {type: "button", "class": "live-button",
                                             "data-live-action": "close"}, "Close"));
      words.appendChild(actions);
      words.appendChild(element("p", {"class": "live-dialog-note", role: "status"}));
    } else {
      words.appendChild(element("h2", {id: "live-dialog-title"}, "Live session not started"));
      words.appendChild(element("p", {id: "live-dialog-help"}, error));
      words.appendChild(element("button", {type: "button", "class": "live-button",
                                           "data-live-action": "close"}, "Close"));
    }
    body.appendChild(words);
    dialog.appendChild(body);
    dialog.dataset.followUrl = session ? session.follow_url : "";
    if (!dialog.open) dialog.showModal();
    dialog.querySelector("[data-live-action=close]").focus();
  }

  document.addEventListener("click", function (event) {
    var go = event.target.closest && event.target.closest("[data-live-go]");
    if (go) { goLive(go); return; }
    var button = event.target.closest && event.target.closest("[data-live-action]");
    if (!button) return;
    var action = button.getAttribute("data-live-action"), r = current();
    var dialog = document.getElementById("live-dialog");
    if (action === "close") dialog.close();
    else if (action === "copy") {
      var note = dialog.querySelector(".live-dialog-note");
      var done = function () { note.textContent = "Link copied."; };
      if (navigator.clipboard) navigator.clipboard.writeText(dialog.dataset.followUrl).then(done, function () {});
    } else if (action === "show" && r) showDialog(r, null, button);
    else if (action === "end" && r) {
      postJson(sessionUrl(r.id, "/end"), {token: r.token}).catch(function () {});
      setRole(null);
      showMode();
      document.querySelector("[data-live-go]").focus();
    } else if (action === "explore") explore();
    else if (action === "rejoin") rejoin();
    else if (action === "leave") {
      setRole(null);
      showMode();
      var go2 = document.querySelector("[data-live-go]");
      if (go2) go2.focus();
    }
  });

  // ---- start: show the mode, then lead or follow
  memory = role();
  function start() {
    showMode();
    var r = current();
    if (r && r.role === "follow" && r.mode === "following") schedule(0);
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
