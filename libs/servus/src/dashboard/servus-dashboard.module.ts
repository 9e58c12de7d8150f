import { ExpressAdapter } from '@bull-board/express';
import { BULL_BOARD_INSTANCE, BullBoardInstance, BullBoardModule } from '@bull-board/nestjs';
import { DynamicModule, Inject, Logger, Module, OnModuleInit, Optional, Provider } from '@nestjs/common';
import { QUEUE_HANDLES, QueueHandles } from '../execution/queue-handles.port';
import { Redactor } from '../execution/redactor';
import { basicAuthMiddleware } from './basic-auth.middleware';
import { DashboardGate } from './dashboard-gate';
import { refuseRedactedWrites } from './redacted-write.hook';
import { addServusQueues } from './servus-board-queues';
import { dashboardWriteGuard } from './write-guard.middleware';
import { ServusBoardFeatureModule } from './servus-board-feature.module';
import {
  DEFAULT_DASHBOARD_ROUTE,
  SERVUS_DASHBOARD_OPTIONS,
  SERVUS_BOARD_FEATURE_OPTIONS,
  ServusDashboardAsyncOptions,
  ServusDashboardFeatureOptions,
  ServusDashboardOptions,
} from './servus-dashboard-options.interface';

/**
 * The bull-board dashboard over every Servus queue, behind HTTP basic auth, read-only unless
 * `readOnly: false`. Jobs are listed by service name; their arguments, results, failure reasons,
 * stack traces, logs and schedules' templates are redacted as in the logs. Writes need a JSON
 * body from the dashboard's own origin; no answer may be framed.
 *
 * @example
 * imports: [
 *   ServusModule.forRoot(...),
 *   ServusDashboardModule.forRoot({ auth: { username: process.env.DASHBOARD_USER, password: process.env.DASHBOARD_PASSWORD } }),
 * ]
 *
 * @publicApi
 */
@Module({})
export class ServusDashboardModule implements OnModuleInit {
  private readonly logger = new Logger('ServusDashboard');

  constructor(
    @Inject(SERVUS_DASHBOARD_OPTIONS) private readonly options: ServusDashboardOptions,
    @Inject(BULL_BOARD_INSTANCE) private readonly board: BullBoardInstance,
    private readonly gate: DashboardGate,
    private readonly redactor: Redactor,
    // NOTE: only ServusModule.forRoot/forRootAsync have BullMQ queues; the testing module's fake/inline adapters have none.
    @Optional() @Inject(QUEUE_HANDLES) private readonly queues?: QueueHandles,
  ) {}

  static forRoot(options: ServusDashboardOptions): DynamicModule {
    return this.create(options.route, [{ provide: SERVUS_DASHBOARD_OPTIONS, useValue: options }]);
  }

  /** Credentials from a factory (ConfigService, a secret store), resolved at boot like any async provider. */
  static forRootAsync(options: ServusDashboardAsyncOptions): DynamicModule {
    const route = options.route;
    const factory = async (...args: unknown[]): Promise<ServusDashboardOptions> => ({
      ...(await options.useFactory(...(args as never[]))),
      route,
    });
    return this.create(
      route,
      [{ provide: SERVUS_DASHBOARD_OPTIONS, useFactory: factory, inject: options.inject ?? [] }],
      options.imports,
    );
  }

  /**
   * Servus's queues on the bull-board the app already has (`BullBoardModule.forRoot` from
   * @bull-board/nestjs, behind a middleware of the app's) instead of a second board. Jobs are shown
   * redacted and redacted writes are refused, as on Servus's own board.
   *
   * @example
   * imports: [
   *   BullBoardModule.forRoot({ route: '/admin/queues', adapter: ExpressAdapter, middleware: basicAuthMiddleware(auth) }),
   *   BullBoardModule.forFeature({ name: 'emails', adapter: BullMQAdapter }),
   *   ServusDashboardModule.forFeature(),
   * ]
   */
  static forFeature(options: ServusDashboardFeatureOptions = {}): DynamicModule {
    return {
      module: ServusBoardFeatureModule,
      providers: [{ provide: SERVUS_BOARD_FEATURE_OPTIONS, useValue: options }],
    };
  }

  private static create(
    route: string | undefined,
    optionsProviders: Provider[],
    imports: DynamicModule['imports'] = [],
  ): DynamicModule {
    // bull-board takes its middleware when the module is declared; the credentials are known once
    // the options provider has resolved, so the middleware asks the gate (set in onModuleInit).
    const gate = new DashboardGate();
    return {
      module: ServusDashboardModule,
      imports: [
        ...imports,
        BullBoardModule.forRoot({
          route: route ?? DEFAULT_DASHBOARD_ROUTE,
          adapter: ExpressAdapter,
          middleware: gate.middleware,
          boardOptions: { uiConfig: { boardTitle: 'Servus' }, handlerHooks: { before: refuseRedactedWrites } },
        }),
      ],
      providers: [...optionsProviders, { provide: DashboardGate, useValue: gate }],
    };
  }

  onModuleInit(): void {
    const auth = basicAuthMiddleware(this.options.auth ?? {});
    // Headers and the cross-site check first: a forged write is refused before credentials matter.
    this.gate.open((request, response, next) =>
      dashboardWriteGuard(request, response, (error?: unknown) =>
        error === undefined ? auth(request, response, next) : next(error),
      ),
    );
    const route = this.options.route ?? DEFAULT_DASHBOARD_ROUTE;
    if (!this.options.auth?.username || !this.options.auth?.password) {
      this.logger.warn(
        `/${route} refuses every request (403): set auth.username and auth.password in ServusDashboardModule.forRoot({ auth })`,
      );
    }
    if (!this.queues) {
      this.logger.warn(`/${route} shows no queues: ServusModule runs without BullMQ here`);
      return;
    }
    addServusQueues(this.board, {
      queues: this.queues,
      redact: this.redactor.redact,
      readOnly: this.options.readOnly !== false, // read-only unless the application opts in to writes
    });
  }
}
