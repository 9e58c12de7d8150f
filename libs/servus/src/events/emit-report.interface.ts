import { AsyncReceipt } from '../execution/call-async-options.interface';
import { ServiceResponse } from '../response/service-response';

/** What one invocation did. */
export interface InvocationOutcome {
  /** 'HandlerClass.method' */
  invocation: string;
  service: string;
  status: 'called' | 'enqueued' | 'skipped' | 'failed';
  response?: ServiceResponse;
  receipt?: AsyncReceipt;
  error?: unknown;
}

/** What an emit did, invocation by invocation. @publicApi */
export interface EmitReport {
  event: string;
  outcomes: InvocationOutcome[];
}
