//! Small documented components used by the pages.

pub mod diagram;
pub mod findings;
pub mod summary;
pub mod template_view;
