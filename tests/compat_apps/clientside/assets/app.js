window.dash_clientside = Object.assign({}, window.dash_clientside, {
    compat: {
        length: function (value) { return "length " + value.length; },
    },
});
