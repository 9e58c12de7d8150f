/**
 * An object literal (or Object.create(null)), also from another realm: structuredClone
 * and vm contexts (jest) hand out objects whose Object.prototype is not ours.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return (
    proto === null ||
    proto === Object.prototype ||
    (Object.getPrototypeOf(proto) === null && proto.constructor?.name === 'Object')
  );
}
