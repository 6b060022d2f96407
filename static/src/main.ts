console.log("whiteboard app placeholder");
