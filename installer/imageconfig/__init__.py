"""Azure Linux Image Customizer configuration (YAML or JSON) as an install plan, and back."""
