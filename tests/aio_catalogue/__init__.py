"""A catalogue whose one app defines an All-in-One component (`class Greeting(html.Div)`),
which makes Dash register this project's top-level package as a component library."""
