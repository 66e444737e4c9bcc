// Builds the workspace's static files into dist/: the GOV.UK Frontend styles compiled
// with a system font stack (the GOV.UK font and the crown are for central government
// only), and Chart.js copied so the workspace serves it itself (no CDN).
import { mkdirSync, copyFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
mkdirSync(join(dist, "vendor"), { recursive: true });

const css = sass.compile(join(here, "workspace.scss"), {
  loadPaths: [join(here, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "color-functions", "slash-div"],
});
writeFileSync(join(dist, "workspace.css"), css.css);

copyFileSync(
  join(here, "node_modules", "chart.js", "dist", "chart.umd.min.js"),
  join(dist, "vendor", "chart.umd.min.js"),
);
console.log("workspace frontend built in", dist);
