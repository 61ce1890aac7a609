//! Headless GUI tests (egui_kittest): the real app driven by widget labels.
