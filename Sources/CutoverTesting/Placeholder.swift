enum CutoverTestingPlaceholder {}
