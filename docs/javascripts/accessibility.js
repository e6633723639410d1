// Regions that scroll sideways must be keyboard-focusable, so that keyboard users can scroll
// them too (axe rule scrollable-region-focusable): Material's table wrappers, code blocks
// (Material marks overflowing ones itself when served, but not when opened from disk), and the
// tables of the notebook pages' outputs. A region is measured when it first comes into view:
// measuring every one at load would lay out the whole page at once, a long task on a phone.
const seen = new IntersectionObserver((entries) => {
  for (const { target, isIntersecting } of entries) {
    if (!isIntersecting) continue;
    seen.unobserve(target);
    if (target.scrollWidth > target.clientWidth) target.tabIndex = 0;
  }
});

function focusableScrollRegions() {
  const regions = ".md-typeset__scrollwrap, pre > code, .jp-RenderedMarkdown table";
  for (const region of document.querySelectorAll(regions)) {
    if (region.matches(".md-typeset__scrollwrap")) region.tabIndex = 0;
    else seen.observe(region);
  }
}
document$.subscribe(focusableScrollRegions);  // every page, instant navigation included
