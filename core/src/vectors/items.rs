//! What each row of a vector set stands for ([`VectorItem`]: the product and the facts a filter
//! reads), and the rows' items as a set holds them ([`Items`]): with the numbers a filter
//! checks first packed beside them, so that a scan reads 16 bytes a row for those instead of
//! the row's item (about 170 bytes, with its lists behind pointers), and the range of prices of
//! each block of [`BLOCK_ROWS`] rows, so that a scan with a price filter skips the blocks no
//! row of which can pass (a whole build lays rows out by category, then price: most blocks
//! hold a narrow range).

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::filter::{AttributeOrds, Facet, ProductFacts, ProductFilter};

/// What a vector stands for, enough to filter without the text index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VectorItem {
    /// Product id.
    pub id: String,
    /// Category ordinals: the product's own category and every ancestor.
    pub categories: Vec<u32>,
    /// Price in euros.
    pub price: f64,
    /// Units in stock.
    pub stock: i64,
    /// Featured by the store.
    #[serde(default)]
    pub featured: bool,
    /// Value ordinals of each attribute facet, in the generation's dictionaries.
    #[serde(default)]
    pub attributes: AttributeOrds,
    /// The row no longer stands for its product (deleted, or its passage changed and a new
    /// row holds it), in a set built from a previous one: it stays in the graph, and no search,
    /// list or lookup returns it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retired: bool,
}

impl VectorItem {
    /// The value ordinals of an attribute facet (none for the category).
    pub fn values(&self, facet: Facet) -> &[u32] {
        facet
            .attribute_index()
            .map_or(&[], |i| self.attributes[i].as_slice())
    }

    /// What a filter reads of the product.
    pub fn facts(&self) -> ProductFacts<'_> {
        ProductFacts {
            categories: &self.categories,
            price: self.price,
            stock: self.stock,
            featured: self.featured,
            attributes: &self.attributes,
        }
    }
}

/// Rows per block of [`Items::blocks_passing`]: a block of sign codes is 48 KB at 384
/// dimensions, so skipping one saves far more than checking it costs.
pub(super) const BLOCK_ROWS: usize = 1_024;

/// The rows' items, read as a slice; changed only through [`Items`]'s methods, which keep the
/// packed numbers and the blocks' price ranges true.
#[derive(Debug)]
pub(super) struct Items {
    items: Vec<VectorItem>,
    numbers: Vec<RowNumbers>,
    /// Per block of [`BLOCK_ROWS`] rows, the lowest and highest price of its rows (retired rows
    /// included: a range only has to hold every row that can pass).
    prices: Vec<(f64, f64)>,
}

/// What [`ProductFilter::accepts_numbers`] reads of a row, and whether the row is retired.
#[derive(Debug, Clone, Copy)]
struct RowNumbers {
    price: f64,
    in_stock: bool,
    featured: bool,
    retired: bool,
}

impl RowNumbers {
    fn of(item: &VectorItem) -> RowNumbers {
        RowNumbers {
            price: item.price,
            in_stock: item.stock > 0,
            featured: item.featured,
            retired: item.retired,
        }
    }
}

impl Items {
    /// The items of rows `0..items.len()`.
    pub(super) fn new(items: Vec<VectorItem>) -> Items {
        let numbers: Vec<RowNumbers> = items.iter().map(RowNumbers::of).collect();
        let prices = numbers.chunks(BLOCK_ROWS).map(price_range).collect();
        Items {
            items,
            numbers,
            prices,
        }
    }

    /// Row `row` now holds `item`.
    pub(super) fn replace(&mut self, row: usize, item: VectorItem) {
        self.numbers[row] = RowNumbers::of(&item);
        self.items[row] = item;
        let block = row / BLOCK_ROWS;
        let end = ((block + 1) * BLOCK_ROWS).min(self.numbers.len());
        self.prices[block] = price_range(&self.numbers[block * BLOCK_ROWS..end]);
    }

    /// Row `row` no longer stands for its product.
    pub(super) fn retire(&mut self, row: usize) {
        self.items[row].retired = true;
        self.numbers[row].retired = true;
    }

    /// A new row, numbered [`Items::len`] before the call.
    pub(super) fn push(&mut self, item: VectorItem) {
        let numbers = RowNumbers::of(&item);
        if self.numbers.len().is_multiple_of(BLOCK_ROWS) {
            self.prices.push((numbers.price, numbers.price));
        } else if let Some((low, high)) = self.prices.last_mut() {
            *low = low.min(numbers.price);
            *high = high.max(numbers.price);
        }
        self.numbers.push(numbers);
        self.items.push(item);
    }

    /// Per block of [`BLOCK_ROWS`] rows, whether a row of it may pass `filter`'s price bounds;
    /// `None` when the filter has none (every block may).
    pub(super) fn blocks_passing(&self, filter: &ProductFilter) -> Option<Vec<bool>> {
        if filter.min_price.is_none() && filter.max_price.is_none() {
            return None;
        }
        Some(
            self.prices
                .iter()
                .map(|&(low, high)| filter.accepts_price_range(low, high))
                .collect(),
        )
    }

    /// Whether row `row` stands for its product and passes `filter`: its packed numbers, then,
    /// only when the filter reads them, its lists.
    #[inline]
    pub(super) fn admits(&self, row: usize, filter: &ProductFilter) -> bool {
        let numbers = self.numbers[row];
        !numbers.retired
            && filter.accepts_numbers(numbers.price, numbers.in_stock, numbers.featured)
            && (!filter.reads_lists() || filter.accepts_lists(self.items[row].facts()))
    }

    /// The items, row after row.
    pub(super) fn into_vec(self) -> Vec<VectorItem> {
        self.items
    }
}

/// The lowest and highest price of `rows`.
fn price_range(rows: &[RowNumbers]) -> (f64, f64) {
    rows.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), n| {
            (low.min(n.price), high.max(n.price))
        })
}

impl Deref for Items {
    type Target = [VectorItem];

    fn deref(&self) -> &[VectorItem] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: usize) -> VectorItem {
        VectorItem {
            id: format!("p{n}"),
            categories: vec![(n % 3) as u32, 10 + (n % 2) as u32],
            price: 10.0 * (n % 7) as f64,
            stock: (n % 4) as i64 - 1,
            featured: n.is_multiple_of(5),
            attributes: [vec![(n % 2) as u32], vec![], vec![(n % 3) as u32], vec![]],
            retired: false,
        }
    }

    /// The packed numbers decide as the item would, through every way a row changes.
    #[test]
    fn admits_is_accepts_on_the_item_through_replace_retire_and_push() {
        let filters = [
            ProductFilter::default(),
            ProductFilter::nothing(),
            ProductFilter {
                max_price: Some(30.0),
                in_stock: Some(true),
                ..ProductFilter::default()
            },
            ProductFilter {
                min_price: Some(20.0),
                featured: Some(false),
                in_stock: Some(false),
                ..ProductFilter::default()
            },
            ProductFilter {
                category: Some(1),
                max_price: Some(40.0),
                ..ProductFilter::default()
            },
            ProductFilter {
                exclude_categories: vec![11],
                featured: Some(true),
                ..ProductFilter::default()
            },
            ProductFilter {
                attributes: vec![(Facet::Color, vec![1]), (Facet::Style, vec![0, 2])],
                ..ProductFilter::default()
            },
        ];
        let mut items = Items::new((0..40).map(item).collect());
        items.replace(3, item(17));
        items.retire(5);
        items.push(item(41));
        items.replace(40, item(2));
        items.retire(40);
        items.push(item(43));
        let mut passed = 0;
        for filter in &filters {
            for row in 0..items.len() {
                let item = &items[row];
                let expected = !item.retired && filter.accepts(item.facts());
                assert_eq!(items.admits(row, filter), expected, "row {row}, {filter:?}");
                passed += usize::from(expected);
            }
        }
        // The filters above let some rows through and keep others out.
        assert!(passed > 0 && passed < filters.len() * items.len());
        assert_eq!(items[3].id, "p17");
        assert!(items[5].retired && items[40].retired && !items[41].retired);
    }

    /// A block a filter's price bounds close holds no row that passes them, through every way
    /// a row changes; and narrow bounds close blocks.
    #[test]
    fn a_closed_block_holds_no_row_within_the_price_bounds() {
        // Prices rise with the row, with a wobble, as a whole build lays a category out.
        let priced = |n: usize, price: f64| VectorItem { price, ..item(n) };
        let n = 5 * BLOCK_ROWS / 2;
        let mut items = Items::new(
            (0..n)
                .map(|i| priced(i, i as f64 / 10.0 + (i % 7) as f64))
                .collect(),
        );
        items.replace(10, priced(10, 900.0));
        items.replace(BLOCK_ROWS + 3, priced(3, 0.5));
        items.retire(20);
        for i in 0..BLOCK_ROWS {
            items.push(priced(n + i, 40.0 + (i % 5) as f64));
        }
        assert_eq!(items.prices.len(), items.len().div_ceil(BLOCK_ROWS));
        assert!(items.blocks_passing(&ProductFilter::default()).is_none());
        let bounds = [
            (None, Some(20.0)),
            (Some(150.0), None),
            (Some(60.0), Some(70.0)),
            (Some(1.0), Some(0.9)),
        ];
        let mut closed = 0;
        for (min_price, max_price) in bounds {
            let filter = ProductFilter {
                min_price,
                max_price,
                ..ProductFilter::default()
            };
            let blocks = items.blocks_passing(&filter).unwrap();
            for row in 0..items.len() {
                let price = items.numbers[row].price;
                if filter.min_price.is_none_or(|p| price >= p)
                    && filter.max_price.is_none_or(|p| price <= p)
                {
                    assert!(blocks[row / BLOCK_ROWS], "row {row} at {price}, {filter:?}");
                }
            }
            closed += blocks.iter().filter(|open| !**open).count();
        }
        assert!(closed >= 4, "{closed} blocks closed");
    }
}
