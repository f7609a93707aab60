import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ReadOptionsDto } from './queries.dto';

const errorsFor = (at: string) =>
  validateSync(plainToInstance(ReadOptionsDto, { at })).flatMap((e) => Object.keys(e.constraints ?? {}));

describe('at= must name one instant', () => {
  it.each([
    '2026-03-03',
    '2026-03-03T09:00:00Z',
    '2026-03-03T09:00:00.123Z',
    '2026-03-03T10:00:00+01:00',
    '2026-03-03T10:00:00-0500',
  ])('accepts %s', (at) => {
    expect(errorsFor(at)).toEqual([]);
  });

  it.each(['2026-03-03T09:00:00', '2026-03-03T09:00', '2026-03', '2026-W10', 'yesterday'])('refuses %s', (at) => {
    expect(errorsFor(at).length).toBeGreaterThan(0);
  });
});
