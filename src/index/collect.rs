//! One collector for every facet count and the price range of the matching products, reading
//! fast-field columns only. Counts are exact: every matching document is visited.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts per facet ordinal, and the price range.
#[derive(Debug, Default, Clone)]
pub(crate) struct Aggregates {
    /// `counts[f][ord]`: matching products with ordinal `ord` in facet field `f`.
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

/// Collects [`Aggregates`] over the named ordinal fields and the `price` fast field.
pub(crate) struct AggregateCollector {
    pub(crate) facet_fields: Vec<String>,
}

pub(crate) struct AggregateSegment {
    columns: Vec<Column<u64>>,
    price: Column<f64>,
    fruit: Aggregates,
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
        let columns = self
            .facet_fields
            .iter()
            .map(|f| fast.u64(f))
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(AggregateSegment {
            fruit: Aggregates {
                counts: vec![Vec::new(); columns.len()],
                price: None,
            },
            columns,
            price: fast.f64("price")?,
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

impl SegmentCollector for AggregateSegment {
    type Fruit = Aggregates;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, counts) in self.columns.iter().zip(&mut self.fruit.counts) {
            for ord in column.values_for_doc(doc) {
                let ord = ord as usize;
                if counts.len() <= ord {
                    counts.resize(ord + 1, 0);
                }
                counts[ord] += 1;
            }
        }
        if let Some(price) = self.price.first(doc) {
            self.fruit.price = Some(match self.fruit.price {
                Some((lo, hi)) => (lo.min(price), hi.max(price)),
                None => (price, price),
            });
        }
    }

    fn harvest(self) -> Aggregates {
        self.fruit
    }
}
