// Regions that scroll sideways must be keyboard-focusable, so that keyboard users can scroll
// them too (axe rule scrollable-region-focusable). The build marks code blocks and tables
// (sitebuild/mkdocs_hooks.py); Material wraps wide tables in a scrolling box when the page
// runs, and that box is marked here.
function focusableScrollRegions() {
  for (const region of document.querySelectorAll(".md-typeset__scrollwrap")) {
    region.tabIndex = 0;
  }
}
document$.subscribe(focusableScrollRegions);  // every page, instant navigation included
