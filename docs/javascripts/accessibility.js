// Regions that scroll sideways must be keyboard-focusable, so that keyboard users can scroll
// them too (axe rule scrollable-region-focusable): Material's table wrappers, and code blocks
// (Material marks overflowing code blocks itself when served, but not when opened from disk).
function focusableScrollRegions() {
  for (const region of document.querySelectorAll(".md-typeset__scrollwrap, pre > code")) {
    if (region.matches(".md-typeset__scrollwrap") || region.scrollWidth > region.clientWidth) {
      region.tabIndex = 0;
    }
  }
}
document$.subscribe(focusableScrollRegions);  // every page, instant navigation included
window.addEventListener("load", focusableScrollRegions);  // once the layout is final
