export { ServusDashboardModule } from './servus-dashboard.module';
export { DEFAULT_DASHBOARD_ROUTE } from './servus-dashboard-options.interface';
export type {
  ServusDashboardOptions,
  ServusDashboardAsyncOptions,
  ServusDashboardFeatureOptions,
} from './servus-dashboard-options.interface';
export { basicAuthMiddleware, DASHBOARD_REALM } from './basic-auth.middleware';
export type { DashboardMiddleware } from './basic-auth.middleware';
