import { RecordedThrough } from './recorded-through';

const compare = (a: string, b: string): number => Number(a) - Number(b);

describe('RecordedThrough', () => {
  it('never passes an event that is not done, whatever order the others finish in', () => {
    const progress = new RecordedThrough(compare, '10');
    const [a, b, c] = ['11', '12', '13'].map((position) => progress.begin(position));
    progress.done(c, '103');
    progress.done(b, '102');
    expect(progress.through).toBe('10');
    progress.done(a, '101');
    expect(progress.through).toBe('13');
    expect(progress.inFlight).toBe(0);
  });

  it('offers a position only once the index holds every entry appended for it, each once', () => {
    const progress = new RecordedThrough(compare);
    const [a, b] = ['1', '2'].map((position) => progress.begin(position));
    progress.done(a, '50');
    progress.done(b, '40');
    expect(progress.takeIndexed(undefined)).toBeUndefined();
    expect(progress.takeIndexed('49')).toBeUndefined();
    expect(progress.takeIndexed('50')).toBe('2');
    expect(progress.takeIndexed('60')).toBeUndefined();
    const c = progress.begin('3');
    progress.done(c, undefined);
    expect(progress.takeIndexed('50')).toBe('3');
  });
});
