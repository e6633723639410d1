// Regions that scroll sideways must be keyboard-focusable, so that keyboard users can scroll
// them too (axe rule scrollable-region-focusable): Material's table wrappers, code blocks
// (Material marks overflowing ones itself when served, but not when opened from disk), and the
// tables of the notebook pages' outputs.
function focusableScrollRegions() {
  const regions = ".md-typeset__scrollwrap, pre > code, .jp-RenderedMarkdown table";
  for (const region of document.querySelectorAll(regions)) {
    if (region.matches(".md-typeset__scrollwrap") || region.scrollWidth > region.clientWidth) {
      region.tabIndex = 0;
    }
  }
}
document$.subscribe(focusableScrollRegions);  // every page, instant navigation included
window.addEventListener("load", focusableScrollRegions);  // once the layout is final
