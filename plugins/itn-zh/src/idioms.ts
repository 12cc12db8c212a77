/**
 * Set phrases (chengyu and idioms) that contain numerals but are not numbers; no rewrite may
 * touch them. Only those our rules would otherwise change, or nearly so, are listed.
 */
export const IDIOMS: readonly string[] = [
  '十万八千里', '九牛一毛', '一毛不拔', '一五一十', '八九不离十', '十有八九', '千千万万', '成千上万',
  '一心一意', '三心二意', '七上八下', '乱七八糟', '五花八门', '四面八方', '千方百计', '万无一失',
  '一干二净', '三言两语', '十全十美', '一模一样', '一清二楚', '九死一生', '一石二鸟', '一举两得',
  '独一无二', '接二连三', '不三不四', '数一数二', '略知一二', '一分为二', '三天两头', '四分五裂',
  '三番五次', '五湖四海', '七嘴八舌', '九九归一', '一刀两断', '两全其美', '半斤八两', '百分之百的把握',
  '一百八十度大转弯', '三十六计', '三十而立', '四十不惑', '五十知天命', '七十二变', '十八般武艺', '一日三秋', '一年半载',
];

/** Character ranges of `text` covered by an idiom, as [start, end) pairs. */
export function idiomRanges(text: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const idiom of IDIOMS) {
    for (let at = text.indexOf(idiom); at >= 0; at = text.indexOf(idiom, at + idiom.length)) {
      ranges.push([at, at + idiom.length]);
    }
  }
  return ranges;
}
