import type { BullBoardInstance } from '@bull-board/nestjs';
import type { QueueHandles } from '../execution/queue-handles.port';
import { RedactingQueueAdapter } from './redacting-queue.adapter';

/** What a board needs to show Servus's queues. */
export interface ServusBoardQueues {
  queues: QueueHandles;
  redact: (value: unknown) => unknown;
  readOnly: boolean;
}

/** Adds every Servus queue to a bull-board, redacted (its own board, or the app's). */
export function addServusQueues(board: BullBoardInstance, source: ServusBoardQueues): void {
  for (const name of source.queues.names()) {
    // The BullMQ adapter's handles are BullMQ Queues: the board adapter is BullMQ's too.
    const queue = source.queues.handle(name) as ConstructorParameters<typeof RedactingQueueAdapter>[0];
    board.addQueue(new RedactingQueueAdapter(queue, { readOnly: source.readOnly, redact: source.redact }));
  }
}
