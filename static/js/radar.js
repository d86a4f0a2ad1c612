/* Radar's only script, loaded from this site (no CDN): after a failed submit the page opens at the failed form,
   and its error summary takes the focus, so a screen reader reads it and Tab goes on to its links. Browsers skip
   `autofocus` when the address holds an anchor, which is how the page lands on the form; and they settle the
   anchor's scrolling once the page has loaded, so the focus is given then. */
window.addEventListener("load", function () {
  var summary = document.querySelector(".error-summary[autofocus], h1[autofocus]");
  if (summary) {
    summary.focus();
  }
});
