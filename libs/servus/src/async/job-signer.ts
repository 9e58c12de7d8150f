import { Inject, Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SERVUS_MODULE_OPTIONS } from '../servus.constants';
import { canonicalJson } from '../util/canonical-json';
import { isPlainObject } from '../util/is-plain-object';
import { AsyncModuleOptions, ServusSigningKey } from './async-options.interface';
import { JobPayload } from './job-payload.codec';
import { quoted } from '../util/quoted';
import { ownCopy } from '../util/own-copy';

const MIN_SECRET_LENGTH = 32;
/** Bumped if what is signed ever changes: a worker then refuses, rather than misreads, the other version. */
const SIGNED_FORMAT = 'servus-job-signature-v2';
const REPLAY = 'a signed job runs only under the id it was signed for';

/**
 * What a signature binds a job to: one job id, or the runs of one job scheduler (its template is
 * signed once, before BullMQ names the runs `repeat:<scheduler id>:<time>`).
 */
export type JobBinding = { jobId: string } | { scheduler: string };

/** The job as the worker sees it: BullMQ's name, queue and id, and the data anyone could have written. */
export interface SignedJob {
  name: string;
  queueName: string;
  id?: string;
  data: unknown;
}

/**
 * Signs jobs with the first of `security.signingKeys` and verifies them with any (rotation).
 * The HMAC-SHA256 covers the job's name, queue, service, arguments and metadata (all but the
 * signature), in a canonical JSON that a Redis round trip does not change. The metadata holds
 * the job's binding (`jobId`, or `scheduler` for a schedule's runs), so the same data under
 * another job id is refused: a copy is a replay. Without keys it signs nothing and verifies nothing.
 */
@Injectable()
export class JobSigner {
  private readonly keys = new Map<string, Buffer>();
  private readonly signingKeyId?: string;

  constructor(@Inject(SERVUS_MODULE_OPTIONS) options: AsyncModuleOptions) {
    for (const key of options.security?.signingKeys ?? []) this.keys.set(...checked(key, this.keys));
    this.signingKeyId = options.security?.signingKeys?.[0]?.id;
  }

  get enabled(): boolean {
    return this.signingKeyId !== undefined;
  }

  /** The payload with its binding and signature in metadata; the same payload when there are no keys. */
  sign(queue: string, payload: JobPayload, binding: JobBinding): JobPayload {
    if (!this.signingKeyId) return payload;
    const keyId = this.signingKeyId;
    // ownCopy, not spread: the metadata takes keys its source lacks (see ownCopy).
    const metadata = ownCopy<JobPayload['metadata']>(payload.metadata, binding);
    const bound = { ...payload, metadata };
    const hmac = this.hmac(keyId, bound.service, queue, bound);
    return { ...bound, metadata: ownCopy<JobPayload['metadata']>(metadata, { signature: { keyId, hmac } }) };
  }

  /** Why a job may not run under this module's keys, or undefined when it may (or there are no keys). */
  problem(job: SignedJob): string | undefined {
    if (!this.signingKeyId) return undefined;
    const payload = job.data as JobPayload;
    const metadata = payload?.metadata;
    const signature: unknown = metadata?.signature;
    if (signature === undefined) return 'unsigned job: this worker runs only jobs signed with its security.signingKeys';
    if (!isPlainObject(signature) || typeof signature.keyId !== 'string' || typeof signature.hmac !== 'string')
      return 'malformed signature: expected { keyId, hmac }';
    if (!this.keys.has(signature.keyId))
      return `signed with key id ${quoted(signature.keyId, 64)}, which this worker does not have`;
    const { jobId, scheduler } = metadata as { jobId?: unknown; scheduler?: unknown };
    if (typeof jobId !== 'string' && typeof scheduler !== 'string')
      return `the signature binds no job id (signed by an older Servus): ${REPLAY}`;
    let expected: string;
    try {
      expected = this.hmac(signature.keyId, job.name, job.queueName, payload);
    } catch (error) {
      return `cannot be checked: ${(error as Error).message}`;
    }
    const given = Buffer.from(signature.hmac, 'utf8');
    const wanted = Buffer.from(expected, 'utf8');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      return 'signature does not match: the job was changed after it was signed, or signed with another secret';
    // Genuine from here on: the binding is what this deployment signed.
    const id = String(job.id);
    if (typeof jobId === 'string')
      return jobId === id ? undefined : `signed for job id ${quoted(jobId)}, not ${quoted(id)}: ${REPLAY}`;
    return isRunOf(id, scheduler as string)
      ? undefined
      : `signed for the runs of schedule ${quoted(scheduler)}, not for job id ${quoted(id)}: ${REPLAY}`;
  }

  private hmac(keyId: string, name: string, queue: string, payload: JobPayload): string {
    // Everything the job carries but the signature itself.
    const metadata: Partial<JobPayload['metadata']> = { ...payload.metadata };
    delete metadata.signature;
    const signed = canonicalJson([SIGNED_FORMAT, keyId, name, queue, payload.service, payload.args ?? null, metadata]);
    return createHmac('sha256', this.keys.get(keyId)!).update(signed, 'utf8').digest('base64url');
  }
}

/** Whether `id` is one of the ids BullMQ gives the runs of a job scheduler: `repeat:<scheduler id>:<epoch ms>`. */
function isRunOf(id: string, scheduler: string): boolean {
  const prefix = `repeat:${scheduler}:`;
  return id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length));
}

function checked(key: ServusSigningKey, known: Map<string, Buffer>): [string, Buffer] {
  if (!key || typeof key.id !== 'string' || !key.id)
    throw new Error('ServusModule: security.signingKeys[].id must be a non-empty string');
  if (known.has(key.id)) throw new Error(`ServusModule: security.signingKeys lists key id "${key.id}" twice`);
  const secret = typeof key.secret === 'string' ? Buffer.from(key.secret, 'utf8') : key.secret;
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_LENGTH)
    throw new Error(
      `ServusModule: security.signingKeys "${key.id}" needs a secret of at least ${MIN_SECRET_LENGTH} bytes (e.g. openssl rand -base64 48)`,
    );
  return [key.id, secret];
}
