//! Typed rows of the replica, as the rest of the engine sees them.

use serde::Serialize;
use serde_json::{Map, Value};

/// A category of the store's tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Storefront id.
    pub id: String,
    /// URL slug, `[a-z0-9-]+`, unique.
    pub slug: String,
    /// French display name.
    pub name: String,
    /// Parent category id; `None` for a top category.
    pub parent_id: Option<String>,
    /// Optional description.
    pub description: Option<String>,
}

/// A product row, with its rating aggregate.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Storefront id.
    pub id: String,
    /// URL slug, unique.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Description as exported (may hold HTML).
    pub description: Option<String>,
    /// Price in euros.
    pub price: f64,
    /// Crossed-out price in euros.
    pub compare_price: Option<f64>,
    /// ISO currency code.
    pub currency: String,
    /// Units in stock.
    pub stock: i64,
    /// Whether the storefront features the product.
    pub featured: bool,
    /// Category id.
    pub category_id: String,
    /// Image URLs.
    pub images: Vec<String>,
    /// Brand, if any.
    pub brand: Option<String>,
    /// Free keywords.
    pub tags: Vec<String>,
    /// Attributes object as exported (color, material, style, room, dimensions, others).
    pub attributes: Map<String, Value>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 last update time.
    pub updated_at: String,
    /// Average review rating, if reviewed.
    pub rating: Option<f64>,
    /// Number of reviews.
    pub review_count: u32,
}

impl Product {
    /// Values of a string or array-of-string attribute, as written.
    pub fn attribute_values(&self, key: &str) -> Vec<&str> {
        match self.attributes.get(key) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Every string attribute value (all keys except `dimensions`), for full-text indexing.
    pub fn all_attribute_values(&self) -> Vec<&str> {
        self.attributes
            .keys()
            .filter(|k| k.as_str() != "dimensions")
            .flat_map(|k| self.attribute_values(k))
            .collect()
    }

    /// The area of the two largest of `attributes.dimensions` (cm²), if it has two or more.
    pub fn footprint(&self) -> Option<f64> {
        let dims = self.attributes.get("dimensions")?;
        let cm = |key: &str| dims.get(key).and_then(Value::as_f64);
        footprint(cm("widthCm"), cm("heightCm"), cm("depthCm"))
    }

    /// Whether at least one unit is in stock.
    pub fn in_stock(&self) -> bool {
        self.stock > 0
    }
}

/// The area of the two largest positive dimensions (cm²): a product's size whatever its shape
/// (a rug's width and depth, a poster's width and height).
pub(crate) fn footprint(
    width: Option<f64>,
    height: Option<f64>,
    depth: Option<f64>,
) -> Option<f64> {
    let mut dims: Vec<f64> = [width, height, depth]
        .into_iter()
        .flatten()
        .filter(|d| d.is_finite() && *d > 0.0)
        .collect();
    if dims.len() < 2 {
        return None;
    }
    dims.sort_by(|a, b| b.total_cmp(a));
    Some(dims[0] * dims[1])
}

/// The category tree: every category with its parent links resolved.
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    categories: Vec<Category>,
    by_id: std::collections::HashMap<String, usize>,
    by_slug: std::collections::HashMap<String, usize>,
}

impl CategoryTree {
    /// Builds the tree from rows (in any order).
    pub fn new(categories: Vec<Category>) -> CategoryTree {
        let by_id = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let by_slug = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i))
            .collect();
        CategoryTree {
            categories,
            by_id,
            by_slug,
        }
    }

    /// All categories.
    pub fn all(&self) -> &[Category] {
        &self.categories
    }

    /// A category by id.
    pub fn get(&self, id: &str) -> Option<&Category> {
        self.by_id.get(id).map(|&i| &self.categories[i])
    }

    /// A category by slug.
    pub fn by_slug(&self, slug: &str) -> Option<&Category> {
        self.by_slug.get(slug).map(|&i| &self.categories[i])
    }

    /// The path from the top category down to `id` (inclusive). Stops on a cycle.
    pub fn path(&self, id: &str) -> Vec<&Category> {
        let mut path = Vec::new();
        let mut next = self.get(id);
        while let Some(category) = next {
            if path.len() > self.categories.len() {
                break;
            }
            path.push(category);
            next = category.parent_id.as_deref().and_then(|p| self.get(p));
        }
        path.reverse();
        path
    }

    /// Direct children of `id` (`None`: the top categories), in name order.
    pub fn children(&self, id: Option<&str>) -> Vec<&Category> {
        let mut children: Vec<&Category> = self
            .categories
            .iter()
            .filter(|c| c.parent_id.as_deref() == id)
            .collect();
        children.sort_by(|a, b| a.name.cmp(&b.name));
        children
    }
}
