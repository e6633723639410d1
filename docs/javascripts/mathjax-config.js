// MathJax 3 for pymdownx.arithmatex (generic mode), which writes \(...\) and \[...\], and for
// the notebook pages, whose Markdown mkdocs-jupyter leaves as $...$. The theme's chrome is never
// scanned; a test checks that chapter pages have no math outside arithmatex's elements.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: "md-header|md-tabs|md-sidebar|md-footer|md-search|md-dialog|clipboard-copy-txt|tex2jax_ignore",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown|tex2jax_process",
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
