// Module resolve hook: adds the `gyre-source` export condition so that `@gyre/*` packages resolve
// to their TypeScript sources (see docs/development.md). Registered by bin/gyre.mjs.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('gyre-source')
    ? context.conditions
    : [...context.conditions, 'gyre-source'];
  return nextResolve(specifier, { ...context, conditions });
}
