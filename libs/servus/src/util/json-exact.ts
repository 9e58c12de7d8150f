/**
 * Objects known to survive JSON exactly because they were built that way: a validation copy
 * whose walk met only JSON values marks itself here, so the enqueue check need not walk it
 * again. Weak: a mark never keeps an object alive. Only fresh objects nobody else holds may be
 * marked (a caller could change a shared one afterwards).
 */
const exact = new WeakSet<object>();

export function markJsonExact(value: object): void {
  exact.add(value);
}

export function isMarkedJsonExact(value: unknown): boolean {
  return typeof value === 'object' && value !== null && exact.has(value);
}
