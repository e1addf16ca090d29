// Node module hooks for workflow-diff.mjs. @actions/workflow-parser imports its JSON schema
// with a bare `import schema from "../workflow-v1.0.min.json"`; Node 20 refuses JSON modules
// without the import attribute `with { type: "json" }`. This hook adds the attribute to every
// .json import, so the published package loads unmodified.
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json")) {
    // Node 20.10+ names the field importAttributes; earlier 20.x releases importAssertions.
    const key = "importAttributes" in context ? "importAttributes" : "importAssertions";
    return nextLoad(url, { ...context, [key]: { ...(context[key] ?? {}), type: "json" } });
  }
  return nextLoad(url, context);
}
