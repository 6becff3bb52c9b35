// Copies the Firebase browser SDK's self-contained ESM builds into static/vendor/firebase so the
// sign-in page works without a CDN. The auth build imports the app build from gstatic by
// absolute URL; that one import is rewritten to the sibling file.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";

const source = "node_modules/firebase";
const target = "static/vendor/firebase";
mkdirSync(target, { recursive: true });

const version = JSON.parse(readFileSync(`${source}/package.json`, "utf8")).version;
for (const name of ["firebase-app.js", "firebase-auth.js"]) {
  let code = readFileSync(`${source}/${name}`, "utf8");
  code = code.replaceAll(`https://www.gstatic.com/firebasejs/${version}/firebase-app.js`, "./firebase-app.js");
  // Source maps are not vendored; drop the comment so browsers do not request them.
  code = code.replace(/^\/\/# sourceMappingURL=.*$/gm, "");
  if (code.includes("gstatic.com/firebasejs")) throw new Error(`${name} still imports from gstatic`);
  writeFileSync(`${target}/${name}`, code);
}
writeFileSync(`${target}/VERSION`, `firebase ${version} (npm), vendored by scripts/vendor_firebase.mjs\n`);
console.log(`vendored firebase ${version} into ${target}`);
