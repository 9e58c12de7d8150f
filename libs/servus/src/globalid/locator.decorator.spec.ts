import { Injectable } from '@nestjs/common';
import { INJECTABLE_WATERMARK } from '@nestjs/common/constants';
import { isLocator, Locator } from 'nestjs-servus/globalid/locator.decorator';

@Locator()
class ReportsLocator {}

class ChildLocator extends ReportsLocator {}

@Injectable()
class PlainProvider {}

describe('@Locator()', () => {
  it('marks the class as a locator and as an injectable provider', () => {
    expect(isLocator(ReportsLocator)).toBe(true);
    expect(Reflect.getMetadata(INJECTABLE_WATERMARK, ReportsLocator)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a plain provider', PlainProvider],
    ['a subclass that is not decorated itself', ChildLocator],
    ['an instance of a locator', new ReportsLocator()],
    ['undefined', undefined],
    ['a string', 'ReportsLocator'],
  ])('is not found on %s', (_label, target) => {
    expect(isLocator(target)).toBe(false);
  });
});
