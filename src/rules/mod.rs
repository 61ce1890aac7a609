//! Templates, stencils, typed conditions, and their evaluation into threats.
//!
//! Rules are data: a template can only describe conditions over the model. There is no
//! construct that reads files, runs commands or reaches the network.

pub mod catalog;
pub mod eval;
pub mod template;

pub use catalog::{Catalog, LoadedRule, ResolvedStencil, TemplateInfo};
pub use template::{
    Applies, BaseShape, BoundarySchema, Cond, Dir, FlowStep, Pivot, PropSpec, PropType, Reach,
    RelationKind, Role, Rule, Selector, SeverityStep, Stencil, Template,
};
