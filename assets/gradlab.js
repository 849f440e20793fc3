// Clientside helpers. Served from assets/: no CDN, works in a lecture hall without internet.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  gradlab: {
    // The server sends the canonical, validated query string; the address bar follows it
    // without a navigation (replaceState), so a copied URL reopens exactly this state.
    mirrorQuery: function (query) {
      if (typeof query === "string" && query.charAt(0) === "?" && query !== window.location.search) {
        window.history.replaceState(window.history.state, "",
          window.location.pathname + query + window.location.hash);
      }
    },
  },
});
