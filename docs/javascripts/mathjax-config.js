// MathJax 3 for pymdownx.arithmatex (generic mode): typeset only what arithmatex marked.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
  svg: { fontCache: "global" },
};

// Material's instant navigation swaps the page without reloading it: typeset the new page.
// MathJax typesets the first page by itself; chaining on its promise keeps one run at a time.
document$.subscribe(() => {
  if (!window.MathJax || !window.MathJax.startup || !window.MathJax.startup.promise) return;
  MathJax.startup.promise = MathJax.startup.promise.then(() => {
    const output = MathJax.startup.output;  // SVG output: clearFontCache; CHTML: clearCache
    if (output.clearFontCache) output.clearFontCache();
    if (output.clearCache) output.clearCache();
    MathJax.typesetClear();
    MathJax.texReset();
    return MathJax.typesetPromise();
  });
});
