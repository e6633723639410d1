// Typesets TeX to SVG with MathJax (the mathjax-full package pinned in package.json), for
// sitebuild/typeset.py. One process serves a whole build: it reads one JSON request per line
// on stdin and answers one JSON line on stdout.
//
//   {"items": [{"tex": "x_t W_x", "display": false}, ...]}  ->  {"html": ["<mjx-container ...", ...]}
//   {"stylesheet": true}                                      ->  {"css": "mjx-container[jax=..."}
//
// A TeX error answers {"error": "...", "tex": "..."} instead: the build stops and names it.
// Output: SVG with its glyphs drawn as fills (no stroke, which prints as heavy outlines), no
// shared font cache (each equation stands alone, no id repeated on a page), and the equation
// again as MathML for screen readers (MathJax's assistive MathML, hidden from the eye).
import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(import.meta.url);
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
require("mathjax-full/js/input/tex/base/BaseConfiguration.js");
require("mathjax-full/js/input/tex/ams/AmsConfiguration.js");
require("mathjax-full/js/input/tex/html/HtmlConfiguration.js"); // \class{c-x}{x_t}
require("mathjax-full/js/input/tex/newcommand/NewcommandConfiguration.js");
require("mathjax-full/js/input/tex/boldsymbol/BoldsymbolConfiguration.js");

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

const tex = new TeX({
  packages: ["base", "ams", "html", "newcommand", "boldsymbol"],
  formatError: (jax, error) => {
    throw error;
  },
});
const svg = new SVG({ fontCache: "none" });
const html = mathjax.document("", { InputJax: tex, OutputJax: svg });

// MathJax draws glyph outlines with stroke="currentColor" stroke-width="0": on screen nothing,
// in print a hairline around every glyph that smears small subscripts. Fills only.
const STROKE = / stroke="currentColor"(?= fill="currentColor" stroke-width="0")/g;

function typeset({ tex: source, display }) {
  const node = html.convert(source, { display, em: 16, ex: 8, containerWidth: 1280 });
  return adaptor
    .outerHTML(node)
    .replace(STROKE, ' stroke="none"')
    .replace(/ stroke-width="0"/g, "");
}

function answer(request) {
  if (request.stylesheet) {
    return { css: adaptor.textContent(svg.styleSheet(html)) };
  }
  const out = [];
  for (const item of request.items) {
    try {
      out.push(typeset(item));
    } catch (error) {
      return { error: String(error.message || error), tex: item.tex };
    } finally {
      html.clear(); // no memory of earlier equations
      tex.parseOptions.tags.reset();
    }
  }
  return { html: out };
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  process.stdout.write(JSON.stringify(answer(JSON.parse(line))) + "\n");
}
