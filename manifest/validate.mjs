// Validate a Teams app manifest (and the localization files it names) OFFLINE against the
// JSON schemas that npm `@microsoft/app-manifest` ships (build/json-schemas/teams/v1.x).
//
//   node manifest/validate.mjs path/to/manifest.json
//
// Exit 0 when valid; exit 1 and one line per error on stderr when not; exit 2 on bad usage or
// when the schema for the manifest's version is not in the package. Never uses the network:
// the schema is read from the package and passed to AppManifestUtils.validateAgainstSchema, so
// the package never falls back to fetching it.
import { readFile, access } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const packageMain = require.resolve("@microsoft/app-manifest");
const { AppManifestUtils } = require("@microsoft/app-manifest");
const fromPackage = createRequire(packageMain);
const AjvDraft04 = fromPackage("ajv-draft-04").default ?? fromPackage("ajv-draft-04");
const addFormats = fromPackage("ajv-formats").default ?? fromPackage("ajv-formats");
const schemaRoot = path.join(path.dirname(packageMain), "json-schemas", "teams");

function fail(code, lines) {
  for (const line of lines) console.error(line);
  process.exit(code);
}

async function readJson(file) {
  // The package does the same to the schemas: JSON has no \a or \v escapes.
  const text = (await readFile(file, "utf8")).replace(/^\uFEFF/, "");
  return JSON.parse(text.replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b"));
}

async function exists(file) {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

const manifestPath = process.argv[2];
if (!manifestPath || process.argv.length > 3) {
  fail(2, ["usage: node manifest/validate.mjs path/to/manifest.json"]);
}

let manifest;
try {
  manifest = await readJson(manifestPath);
} catch (error) {
  fail(1, [`${manifestPath}: not readable JSON: ${error.message}`]);
}

const version = typeof manifest.manifestVersion === "string" ? manifest.manifestVersion : "";
const folder = `v${version}`;
const schemaFile = path.join(schemaRoot, folder, "MicrosoftTeams.schema.json");
if (!/^1\.\d+$/.test(version) || !(await exists(schemaFile))) {
  fail(1, [
    `/manifestVersion ${JSON.stringify(manifest.manifestVersion)} has no schema in @microsoft/app-manifest (${schemaRoot})`,
  ]);
}
const expectedSchemaUrl = `https://developer.microsoft.com/json-schemas/teams/${folder}/MicrosoftTeams.schema.json`;

const errors = [];
if (manifest.$schema !== expectedSchemaUrl) {
  errors.push(`/$schema must be ${expectedSchemaUrl} for manifestVersion ${version}`);
}
// Teams requires a MAJOR.MINOR.PATCH version, which the schema itself does not check.
if (typeof manifest.version !== "string" || !/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(manifest.version)) {
  errors.push(`/version must be MAJOR.MINOR.PATCH (semver), not ${JSON.stringify(manifest.version)}`);
}
const schema = await readJson(schemaFile);
const schemaErrors = await AppManifestUtils.validateAgainstSchema(manifest, schema);
errors.push(...schemaErrors);

// The files the manifest names must be in the package, next to manifest.json.
const base = path.dirname(path.resolve(manifestPath));
for (const key of ["color", "outline"]) {
  const file = manifest.icons?.[key];
  if (typeof file === "string" && !(await exists(path.join(base, file)))) {
    errors.push(`/icons/${key} names ${file}, which is not next to the manifest`);
  }
}

// Localization files: each against the localization schema of the same version.
const localizationSchemaFile = path.join(schemaRoot, folder, "MicrosoftTeams.Localization.schema.json");
const info = manifest.localizationInfo;
const languageFiles = [];
if (info?.defaultLanguageFile) languageFiles.push(info.defaultLanguageFile);
for (const extra of info?.additionalLanguages ?? []) {
  if (extra?.file) languageFiles.push(extra.file);
}
if (languageFiles.length > 0) {
  // unicodeRegExp: false, because the localization schema has patterns such as `\b]` that are
  // not valid with the u flag.
  const ajv = new AjvDraft04({ allErrors: true, strictTypes: false, strict: false, unicodeRegExp: false });
  addFormats(ajv, ["uri", "email", "regex"]);
  const validateLocalization = ajv.compile(await readJson(localizationSchemaFile));
  const expectedLocalizationUrl = `https://developer.microsoft.com/json-schemas/teams/${folder}/MicrosoftTeams.Localization.schema.json`;
  for (const file of languageFiles) {
    const full = path.join(base, file);
    if (!(await exists(full))) {
      errors.push(`/localizationInfo names ${file}, which is not next to the manifest`);
      continue;
    }
    let strings;
    try {
      strings = await readJson(full);
    } catch (error) {
      errors.push(`${file}: not readable JSON: ${error.message}`);
      continue;
    }
    if (strings.$schema !== expectedLocalizationUrl) {
      errors.push(`${file}: /$schema must be ${expectedLocalizationUrl}`);
    }
    if (!validateLocalization(strings)) {
      for (const error of validateLocalization.errors ?? []) {
        errors.push(`${file}: ${error.instancePath} ${error.message ?? ""}. Details: ${JSON.stringify(error.params ?? {})}`);
      }
    }
  }
}

if (errors.length > 0) {
  fail(1, [`${manifestPath}: ${errors.length} problem(s) against the v${version} schema:`, ...errors.map((e) => `  ${e}`)]);
}
console.log(`${manifestPath}: valid against the Teams app manifest schema v${version} (offline)`);
