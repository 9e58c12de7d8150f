import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';

/** Where the dashboard is served when `route` is not given. */
export const DEFAULT_DASHBOARD_ROUTE = 'admin/queues';

/** Injection token of the options given to `ServusDashboardModule.forRoot` (or made by forRootAsync's factory). */
export const SERVUS_DASHBOARD_OPTIONS = Symbol('servus:dashboard_options');

/**
 * Options of `ServusDashboardModule.forRoot`.
 *
 * @publicApi
 */
export interface ServusDashboardOptions {
  /** The path of the dashboard (after the app's global prefix). Default `admin/queues`. */
  route?: string;
  /**
   * HTTP basic auth credentials. Both are required: without either one the dashboard answers
   * 403 to every request (it is never served open).
   */
  auth: { username?: string; password?: string };
  /**
   * No retries, cleans, edits or pauses from the dashboard: it only shows the queues. Default
   * true; `false` opts in to writes (which still need a same-origin JSON request).
   */
  readOnly?: boolean;
}

/**
 * Options of `ServusDashboardModule.forRootAsync`: the route is fixed when the module is
 * declared (bull-board mounts it then); credentials and readOnly may come from a factory.
 *
 * @publicApi
 */
export interface ServusDashboardAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  route?: string;
  useFactory: (
    ...args: never[]
  ) => Omit<ServusDashboardOptions, 'route'> | Promise<Omit<ServusDashboardOptions, 'route'>>;
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
}

/** Injection token of the options given to `ServusDashboardModule.forFeature`. */
export const SERVUS_BOARD_FEATURE_OPTIONS = Symbol('servus:board_feature_options');

/**
 * Options of `ServusDashboardModule.forFeature`: Servus's queues on the app's own bull-board
 * (`BullBoardModule.forRoot`), whose route and authentication are the app's.
 *
 * @publicApi
 */
export interface ServusDashboardFeatureOptions {
  /** Servus's queues only show: no retries, cleans, edits or pauses of them. Default true, as on Servus's own board. */
  readOnly?: boolean;
}
