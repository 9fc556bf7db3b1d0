//! The relevance order's sort key ([`RelevanceKey`]), and one collector for every facet count
//! and the price range of the matching products ([`AggregateCollector`]), reading
//! single-valued fast columns: the category leaf ordinal (rolled up to ancestors afterwards),
//! one bitmask per attribute facet, and the price. An attribute facet with more than
//! [`MASK_BITS`] values falls back to its multi-valued ordinal column. Counts are exact: every
//! matching document is visited.

use std::sync::Arc;

use tantivy::collector::sort_key::{Comparator, NaturalComparator};
use tantivy::collector::{
    Collector, SegmentCollector, SegmentSortKeyComputer, SortKeyComputer, TopNComputer,
};
use tantivy::columnar::{Column, ColumnValues};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::{MASK_BITS, facet_field_name, mask_field_name};
use crate::filter::Facet;

/// The most the popularity tie-break adds to a text score: below the smallest gap between two
/// field weights (1.0), so popularity only orders products that match equally well.
pub(crate) const POPULARITY_TIE_BREAK: f32 = 0.5;

/// The relevance order of matching products: the text score plus the popularity tie-break,
/// then the newer product (equal matches never depend on the order the indexing threads
/// wrote documents in, which varies between builds).
pub(crate) struct RelevanceKey;

/// [`RelevanceKey`] in one segment.
pub(crate) struct RelevanceSegment {
    popularity: Option<Arc<dyn ColumnValues<u64>>>,
    created: Option<Arc<dyn ColumnValues<i64>>>,
}

impl SortKeyComputer for RelevanceKey {
    type SortKey = (Score, i64);
    type Child = RelevanceSegment;
    type Comparator = NaturalComparator;

    fn requires_scoring(&self) -> bool {
        true
    }

    fn segment_sort_key_computer(
        &self,
        segment: &SegmentReader,
    ) -> tantivy::Result<RelevanceSegment> {
        let fast = segment.fast_fields();
        Ok(RelevanceSegment {
            popularity: fast
                .u64("popularity")
                .ok()
                .map(|c| c.first_or_default_col(0)),
            created: fast
                .i64("created_at")
                .ok()
                .map(|c| c.first_or_default_col(0)),
        })
    }
}

impl SegmentSortKeyComputer for RelevanceSegment {
    type SortKey = (Score, i64);
    type SegmentSortKey = (Score, i64);
    type SegmentComparator = NaturalComparator;

    fn segment_sort_key(&mut self, doc: DocId, score: Score) -> (Score, i64) {
        let sold = self.popularity.as_ref().map_or(0, |c| c.get_val(doc)) as f32;
        let created = self.created.as_ref().map_or(0, |c| c.get_val(doc));
        (score + POPULARITY_TIE_BREAK * sold / (sold + 20.0), created)
    }

    /// A product whose text score cannot reach the page even with the largest tie-break is
    /// passed over before its columns are read: once the page fills, most matches of a common
    /// word are of a lower tier than the page's.
    fn compute_sort_key_and_collect<C: Comparator<(Score, i64)>>(
        &mut self,
        doc: DocId,
        score: Score,
        top: &mut TopNComputer<(Score, i64), DocId, C>,
    ) {
        if top
            .threshold
            .is_some_and(|(lowest, _)| score + POPULARITY_TIE_BREAK < lowest)
        {
            return;
        }
        let key = self.segment_sort_key(doc, score);
        top.push(key, doc);
    }

    fn convert_segment_sort_key(&self, key: (Score, i64)) -> (Score, i64) {
        key
    }
}

/// Counts per facet ordinal, and the price range.
#[derive(Debug, Default, Clone)]
pub(crate) struct Aggregates {
    /// `counts[0][ord]`: matching products whose own category is `ord` (not rolled up);
    /// `counts[f][ord]` for `f >= 1`: matching products with value `ord` of `Facet::ALL[f]`.
    pub(crate) counts: Vec<Vec<u64>>,
    /// Lowest and highest price among matching products.
    pub(crate) price: Option<(f64, f64)>,
}

impl Aggregates {
    fn add(&mut self, other: Aggregates) {
        if self.counts.len() < other.counts.len() {
            self.counts.resize(other.counts.len(), Vec::new());
        }
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            if mine.len() < theirs.len() {
                mine.resize(theirs.len(), 0);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
        self.price = match (self.price, other.price) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (p, None) | (None, p) => p,
        };
    }
}

/// Collects [`Aggregates`].
pub(crate) struct AggregateCollector {
    /// Number of values of each attribute facet ([`Facet::ATTRIBUTES`]), from the dictionaries.
    pub(crate) attribute_sizes: Vec<usize>,
}

/// How one attribute facet is read.
enum AttributeColumn {
    Mask(Arc<dyn ColumnValues<u64>>),
    Ordinals(Column<u64>),
}

pub(crate) struct AggregateSegment {
    category: Arc<dyn ColumnValues<u64>>,
    attributes: Vec<AttributeColumn>,
    price: Arc<dyn ColumnValues<f64>>,
    fruit: Aggregates,
    lowest: f64,
    highest: f64,
}

impl Collector for AggregateCollector {
    type Fruit = Aggregates;
    type Child = AggregateSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<AggregateSegment> {
        let fast = segment.fast_fields();
        let attributes = Facet::ATTRIBUTES
            .into_iter()
            .zip(&self.attribute_sizes)
            .map(|(facet, &size)| {
                Ok(if size <= MASK_BITS {
                    AttributeColumn::Mask(
                        fast.u64(&mask_field_name(facet))?.first_or_default_col(0),
                    )
                } else {
                    AttributeColumn::Ordinals(fast.u64(&facet_field_name(facet))?)
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut counts = vec![Vec::new(); Facet::ALL.len()];
        for (c, &size) in counts[1..].iter_mut().zip(&self.attribute_sizes) {
            c.resize(size, 0);
        }
        Ok(AggregateSegment {
            category: fast.u64("category_leaf")?.first_or_default_col(0),
            attributes,
            price: fast.f64("price")?.first_or_default_col(0.0),
            fruit: Aggregates {
                counts,
                price: None,
            },
            lowest: f64::INFINITY,
            highest: f64::NEG_INFINITY,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Aggregates>) -> tantivy::Result<Aggregates> {
        let mut total = Aggregates::default();
        for fruit in fruits {
            total.add(fruit);
        }
        Ok(total)
    }
}

fn bump(counts: &mut Vec<u64>, ord: usize) {
    if counts.len() <= ord {
        counts.resize(ord + 1, 0);
    }
    counts[ord] += 1;
}

impl SegmentCollector for AggregateSegment {
    type Fruit = Aggregates;

    fn collect(&mut self, doc: DocId, _: Score) {
        let counts = &mut self.fruit.counts;
        bump(&mut counts[0], self.category.get_val(doc) as usize);
        for (column, counts) in self.attributes.iter().zip(&mut counts[1..]) {
            match column {
                AttributeColumn::Mask(mask) => {
                    let mut bits = mask.get_val(doc);
                    while bits != 0 {
                        counts[bits.trailing_zeros() as usize] += 1;
                        bits &= bits - 1;
                    }
                }
                AttributeColumn::Ordinals(ords) => {
                    for ord in ords.values_for_doc(doc) {
                        bump(counts, ord as usize);
                    }
                }
            }
        }
        let price = self.price.get_val(doc);
        self.lowest = self.lowest.min(price);
        self.highest = self.highest.max(price);
    }

    fn harvest(mut self) -> Aggregates {
        if self.lowest <= self.highest {
            self.fruit.price = Some((self.lowest, self.highest));
        }
        self.fruit
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
    use tantivy::schema::{FAST, IndexRecordOption, STRING, Schema};
    use tantivy::{DocAddress, Index, TantivyDocument, Term};

    use super::*;

    /// The key computed for every match, as `TopDocs::tweak_score` does: what
    /// [`RelevanceKey`]'s early pass-over must give the same page as.
    fn every_key(
        index: &Index,
        query: &dyn Query,
        top: TopDocs,
    ) -> Vec<((Score, i64), DocAddress)> {
        let searcher = index.reader().unwrap().searcher();
        let top = top.tweak_score(|segment: &SegmentReader| {
            let fast = segment.fast_fields();
            let popularity = fast.u64("popularity").unwrap().first_or_default_col(0);
            let created = fast.i64("created_at").unwrap().first_or_default_col(0);
            move |doc: DocId, score: Score| {
                let sold = popularity.get_val(doc) as f32;
                (
                    score + POPULARITY_TIE_BREAK * sold / (sold + 20.0),
                    created.get_val(doc),
                )
            }
        });
        searcher.search(query, &top).unwrap()
    }

    #[test]
    fn relevance_pages_equal_those_of_every_key_computed() {
        let mut schema = Schema::builder();
        let tier = schema.add_text_field("tier", STRING);
        let popularity = schema.add_u64_field("popularity", FAST);
        let created = schema.add_i64_field("created_at", FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        // 3,000 products over four tiers, with popularities and dates that tie often: the
        // page fills early, then most matches are of a lower tier than its last.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        for _ in 0..3000 {
            let mut doc = TantivyDocument::new();
            doc.add_text(tier, ["a", "b", "c", "d"][(next() % 4) as usize]);
            doc.add_u64(popularity, next() % 50);
            doc.add_i64(created, (next() % 40) as i64);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let clause = |value: &str, score: Score| -> (Occur, Box<dyn Query>) {
            let term = TermQuery::new(Term::from_field_text(tier, value), IndexRecordOption::Basic);
            (
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(term), score)),
            )
        };
        let query = BooleanQuery::new(vec![
            clause("a", 10.0),
            clause("b", 40.0),
            clause("c", 30.0),
            clause("d", 40.3),
        ]);
        let searcher = index.reader().unwrap().searcher();
        for (limit, offset) in [(1, 0), (5, 0), (20, 0), (20, 40), (200, 0)] {
            let top = || TopDocs::with_limit(limit).and_offset(offset);
            let page = searcher
                .search(&query, &top().order_by(RelevanceKey))
                .unwrap();
            assert_eq!(page.len(), limit);
            assert_eq!(
                page,
                every_key(&index, &query, top()),
                "limit {limit}, offset {offset}"
            );
        }
    }
}
