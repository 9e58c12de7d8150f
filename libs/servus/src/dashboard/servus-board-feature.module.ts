import { BULL_BOARD_INSTANCE, BULL_BOARD_OPTIONS } from '@bull-board/nestjs';
import type { BullBoardInstance, BullBoardModuleOptions } from '@bull-board/nestjs';
import { Inject, Logger, Module, OnModuleInit, Optional } from '@nestjs/common';
import { QUEUE_HANDLES, QueueHandles } from '../execution/queue-handles.port';
import { Redactor } from '../execution/redactor';
import { addServusQueues } from './servus-board-queues';
import { SERVUS_BOARD_FEATURE_OPTIONS, ServusDashboardFeatureOptions } from './servus-dashboard-options.interface';

/**
 * Adds Servus's queues, redacted, to the bull-board the app already mounts with
 * `BullBoardModule.forRoot` (made by `ServusDashboardModule.forFeature()`). That board's route and
 * middleware are the app's; Servus refuses to put its jobs on a board without a middleware.
 */
@Module({})
export class ServusBoardFeatureModule implements OnModuleInit {
  private readonly logger = new Logger('ServusDashboard');

  constructor(
    @Inject(SERVUS_BOARD_FEATURE_OPTIONS) private readonly options: ServusDashboardFeatureOptions,
    private readonly redactor: Redactor,
    @Optional() @Inject(BULL_BOARD_INSTANCE) private readonly board?: BullBoardInstance,
    @Optional() @Inject(BULL_BOARD_OPTIONS) private readonly boardOptions?: BullBoardModuleOptions,
    // NOTE: only ServusModule.forRoot/forRootAsync have BullMQ queues; the testing module's fake/inline adapters have none.
    @Optional() @Inject(QUEUE_HANDLES) private readonly queues?: QueueHandles,
  ) {}

  onModuleInit(): void {
    if (!this.board || !this.boardOptions) {
      throw new Error(
        "ServusDashboardModule.forFeature() adds Servus's queues to the app's bull-board, and there is none: import BullBoardModule.forRoot({ route, adapter, middleware }) from @bull-board/nestjs, or use ServusDashboardModule.forRoot({ auth }) for a board of Servus's own.",
      );
    }
    const route = this.boardOptions.route.replace(/^\/+/, '');
    if (!this.boardOptions.middleware) {
      throw new Error(
        `ServusDashboardModule.forFeature(): the bull-board at /${route} has no middleware, so it is served to anyone; Servus puts its jobs only on a board behind authentication. Give BullBoardModule.forRoot a middleware, e.g. basicAuthMiddleware({ username, password }) from nestjs-servus/dashboard.`,
      );
    }
    if (!this.queues) {
      this.logger.warn(`/${route} shows no Servus queues: ServusModule runs without BullMQ here`);
      return;
    }
    addServusQueues(this.board, {
      queues: this.queues,
      redact: this.redactor.redact,
      readOnly: this.options.readOnly !== false, // as on Servus's own board: read-only unless the app opts in to writes
    });
  }
}
