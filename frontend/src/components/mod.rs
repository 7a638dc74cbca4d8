//! Small documented components used by the pages.

pub mod charts;
pub mod diagram;
pub mod findings;
pub mod metrics_panel;
pub mod results;
pub mod review_controls;
pub mod summary;
pub mod template_view;
