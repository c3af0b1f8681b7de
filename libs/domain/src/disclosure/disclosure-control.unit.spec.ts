import {
  controlBreakdown,
  controlCount,
  controlRate,
  controlTable,
  DEFAULT_DISCLOSURE_POLICY,
} from './disclosure-control';

describe('controlCount', () => {
  it.each([
    [0, 0],
    [1, null],
    [5, null],
    [7, null],
    [8, 10],
    [10, 10],
    [12, 10],
    [13, 15],
    [17, 15],
    [18, 20],
    [1234, 1235],
  ])('%i -> %p', (count, expected) => {
    expect(controlCount(count)).toBe(expected);
  });

  it('follows the policy it is given', () => {
    expect(controlCount(9, { threshold: 10, rounding: 10 })).toBeNull();
    expect(controlCount(14, { threshold: 10, rounding: 10 })).toBe(10);
  });

  it('never publishes 1 to 7 for any count', () => {
    for (let n = 0; n < 2000; n++) {
      const v = controlCount(n);
      expect(v === null || v === 0 || v >= 10).toBe(true);
    }
  });
});

describe('controlRate', () => {
  it.each([
    [1.5, 8, 1.5],
    [1.5, 7, null],
    [1.5, 0, null],
    [Number.NaN, 100, null],
  ])('rate %p over %i people -> %p', (value, n, expected) => {
    expect(controlRate(value, n)).toBe(expected);
  });
});

describe('controlTable', () => {
  it.each([
    {
      name: 'no small cells: all rounded, totals from raw counts',
      counts: [
        [12, 30],
        [41, 9],
      ],
      cells: [
        [10, 30],
        [40, 10],
      ],
      rowTotals: [40, 50],
      columnTotals: [55, 40],
      grand: 90,
      suppressed: 0,
    },
    {
      name: 'one small cell: the next smallest in its row and column goes too',
      counts: [
        [3, 20, 50],
        [30, 40, 60],
      ],
      cells: [
        [null, null, 50],
        [null, null, 60],
      ],
      rowTotals: [75, 130],
      columnTotals: [35, 60, 110],
      grand: 205,
      suppressed: 4,
    },
    {
      name: 'two small cells in a row protect each other',
      counts: [[2, 5, 40]],
      cells: [[null, null, 40]],
      rowTotals: [45],
      columnTotals: [null, null, 40],
      grand: 45,
      suppressed: 2,
    },
    {
      name: 'zero cells are published',
      counts: [[0, 0, 40]],
      cells: [[0, 0, 40]],
      rowTotals: [40],
      columnTotals: [0, 0, 40],
      grand: 40,
      suppressed: 0,
    },
    {
      name: 'a small total is suppressed',
      counts: [[3], [2]],
      cells: [[null], [null]],
      rowTotals: [null, null],
      columnTotals: [null],
      grand: null,
      suppressed: 2,
    },
  ])('$name', ({ counts, cells, rowTotals, columnTotals, grand, suppressed }) => {
    const table = controlTable(counts);
    expect(table.cells).toEqual(cells);
    expect(table.rowTotals).toEqual(rowTotals);
    expect(table.columnTotals).toEqual(columnTotals);
    expect(table.grandTotal).toBe(grand);
    expect(table.cellsSuppressed).toBe(suppressed);
  });

  it('never leaves exactly one suppressed cell in a row or column (property)', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 200; trial++) {
      const rows = 1 + Math.floor(next() * 5);
      const columns = 1 + Math.floor(next() * 5);
      const counts = Array.from({ length: rows }, () =>
        Array.from({ length: columns }, () => Math.floor(next() * 40)),
      );
      const { cells } = controlTable(counts);
      for (let r = 0; r < rows && columns > 1; r++) {
        const hidden = cells[r].filter((c) => c === null).length;
        const visible = cells[r].length - hidden;
        expect(hidden !== 1 || visible === 0).toBe(true);
      }
      for (let c = 0; c < columns && rows > 1; c++) {
        const column = cells.map((row) => row[c]);
        const hidden = column.filter((v) => v === null).length;
        expect(hidden !== 1 || hidden === column.length).toBe(true);
      }
      for (const v of cells.flat()) expect(v === null || v === 0 || v >= 10).toBe(true);
    }
  });
});

describe('controlBreakdown', () => {
  it('suppresses a lone small area and the next smallest one', () => {
    const result = controlBreakdown([
      { key: 'L9 1', count: 4 },
      { key: 'L9 2', count: 23 },
      { key: 'L9 3', count: 120 },
    ]);
    expect(result.rows).toEqual([
      { key: 'L9 1', count: null },
      { key: 'L9 2', count: null },
      { key: 'L9 3', count: 120 },
    ]);
    expect(result.total).toBe(145);
    expect(result.cellsSuppressed).toBe(2);
  });

  it('uses the default policy of 7 and 5', () => {
    expect(DEFAULT_DISCLOSURE_POLICY).toEqual({ threshold: 7, rounding: 5 });
  });
});
