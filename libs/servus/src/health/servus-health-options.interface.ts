/**
 * Options of `ServusHealthModule.forRoot()`.
 *
 * @publicApi
 */
export interface ServusHealthOptions {
  /** Base route: `<path>` and `<path>/ready` (readiness), `<path>/live` (liveness). Default 'health'; `false` mounts none. */
  path?: string | false;
}
