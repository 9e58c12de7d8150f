import { Logger } from '@nestjs/common';
import { FlowStore } from './flow-store';
import { LeaseRenewer } from './lease-renewer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LeaseRenewer', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined)));
  afterEach(() => warn.mockRestore());

  it('a lease found lost is warned about once (its member escaped) and no longer renewed', async () => {
    const renew = jest.fn().mockResolvedValue(0);
    const renewer = new LeaseRenewer({ renew } as unknown as FlowStore);
    // Renewed every third of 30 ms: the ticks (every 100 ms) find it due each time.
    renewer.hold('holders', 'default:7\n[forged]:token', 30);
    await sleep(550);
    renewer.stop();
    expect(renew).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls.map((call) => call[0])).toEqual([
      'Flow control: the slot of job default:7\\n[forged]:token ran out while it ran; it is no longer renewed',
    ]);
  });

  it('a lease still held is renewed every third of its time until dropped', async () => {
    const renew = jest.fn().mockResolvedValue(1);
    const renewer = new LeaseRenewer({ renew } as unknown as FlowStore);
    const lease = renewer.hold('holders', 'default:8:token', 30);
    await sleep(350);
    const renewed = renew.mock.calls.length;
    expect(renewed).toBeGreaterThanOrEqual(2);
    renewer.drop(lease);
    await sleep(250);
    expect(renew).toHaveBeenCalledTimes(renewed);
    expect(warn).not.toHaveBeenCalled();
  });
});
